namespace Baton.Contracts.Locks;

/// <summary>How and when a lease ended, and who ended it (the owner, or the admin of a forced release).</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.lease_end")]
public sealed record LeaseEnd
{
    [Id(0)] public string LeaseId { get; init; } = "";

    [Id(1)] public string Owner { get; init; } = "";

    [Id(2)] public long FencingToken { get; init; }

    [Id(3)] public LeaseEndKind Kind { get; init; }

    [Id(4)] public DateTimeOffset At { get; init; }

    /// <summary>The owner for a release, the admin for a forced release, null for an expiry.</summary>
    [Id(5)] public string? By { get; init; }

    [Id(6)] public string? Reason { get; init; }
}
