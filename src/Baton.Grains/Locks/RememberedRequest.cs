using Baton.Contracts.Locks;

namespace Baton.Grains.Locks;

/// <summary>How an acquire request ended, kept for a while so that a retry gets the same answer.</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.remembered_request")]
public sealed record RememberedRequest
{
    [Id(0)] public string RequestId { get; init; } = "";

    [Id(1)] public string Owner { get; init; } = "";

    [Id(2)] public LockMode Mode { get; init; }

    [Id(3)] public AcquireOutcome Outcome { get; init; } = new();

    [Id(4)] public DateTimeOffset At { get; init; }
}
