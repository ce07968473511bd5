namespace Baton.Contracts.Locks;

[GenerateSerializer, Immutable, Alias("baton.locks.description")]
public sealed record LockDescription
{
    [Id(0)] public string Key { get; init; } = "";

    [Id(1)] public IReadOnlyList<LockHolder> Holders { get; init; } = [];

    /// <summary>Waiters in the order they will be granted.</summary>
    [Id(2)] public IReadOnlyList<LockQueueEntry> Queue { get; init; } = [];

    /// <summary>The fencing token of the latest grant; 0 before the first.</summary>
    [Id(3)] public long LastFencingToken { get; init; }

    /// <summary>Recently ended leases, newest last, including forced releases with who and why.</summary>
    [Id(4)] public IReadOnlyList<LeaseEnd> RecentlyEnded { get; init; } = [];
}
