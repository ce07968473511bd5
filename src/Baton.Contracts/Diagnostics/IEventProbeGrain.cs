namespace Baton.Contracts;

/// <summary>
/// A diagnostic publisher: publishes probe events about its key on stream
/// (<see cref="EventProbe.Namespace"/>, key) of provider <see cref="BatonStreams.Provider"/>, one
/// at a time, each awaited (in Postgres mode: durable before the next one starts), with
/// <see cref="EventEnvelope.OccurredAt"/> set to the moment it was published. Not used by any capability.
/// </summary>
public interface IEventProbeGrain : IGrainWithStringKey
{
    /// <summary>Publishes <paramref name="events"/> events with a JSON payload of exactly <paramref name="payloadBytes"/> bytes. Returns how many were published.</summary>
    Task<int> Publish(int events, int payloadBytes);
}
