namespace Baton.Contracts;

/// <summary>
/// A diagnostic consumer: subscribed implicitly to <see cref="EventProbe.Namespace"/>, one
/// activation per probe stream, it writes down in memory when each probe event was published and
/// when it arrived. Not used by any capability.
/// </summary>
public interface IEventProbeSinkGrain : IGrainWithStringKey
{
    /// <summary>How many probe events arrived since the activation started (repeats included).</summary>
    Task<long> Received();

    /// <summary>What arrived since the last drain, then forgets it.</summary>
    Task<EventProbeReceipts> Drain();
}
