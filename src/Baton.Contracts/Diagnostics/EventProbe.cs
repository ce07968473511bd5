namespace Baton.Contracts;

/// <summary>
/// Names of the event probe, a diagnostic that measures Baton's event path (publish → durable
/// stream → consumer) with events of its own. No capability publishes to or reads from it.
/// </summary>
public static class EventProbe
{
    /// <summary>The stream namespace the probe publishes on; only <see cref="IEventProbeSinkGrain"/> subscribes to it (not the event log).</summary>
    public const string Namespace = "bench";

    /// <summary>The event type of every probe event.</summary>
    public const string EventType = "bench.probe";
}
