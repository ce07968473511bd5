namespace Baton.Contracts;

/// <summary>
/// What an <see cref="IEventProbeSinkGrain"/> saw: for the i-th delivery, the publish time
/// (<see cref="EventEnvelope.OccurredAt"/>) and the arrival time, both UTC ticks of the silo's
/// clock; and how many deliveries repeated an event id or went back in sequence.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.diagnostics.probe_receipts")]
public sealed record EventProbeReceipts(
    [property: Id(0)] long[] PublishedTicks,
    [property: Id(1)] long[] ReceivedTicks,
    [property: Id(2)] long Repeats,
    [property: Id(3)] long OutOfOrder);
