using Baton.Contracts.Locks;

namespace Baton.Contracts.Owners;

/// <summary>What an owner holds and waits for, as last told by the <c>locks</c> stream.</summary>
[GenerateSerializer, Immutable, Alias("baton.owners.locks")]
public sealed record OwnerLocks
{
    [Id(0)] public string Owner { get; init; } = "";

    /// <summary>Leases as granted (the expiry is the one at the grant; heartbeats are not events), ordered by key.</summary>
    [Id(1)] public IReadOnlyList<LockLease> Held { get; init; } = [];

    /// <summary>Queued requests, ordered by key.</summary>
    [Id(2)] public IReadOnlyList<OwnerWait> Waiting { get; init; } = [];
}

/// <summary>A request of the owner that waits in a lock's queue.</summary>
[GenerateSerializer, Immutable, Alias("baton.owners.wait")]
public sealed record OwnerWait
{
    [Id(0)] public string Key { get; init; } = "";

    [Id(1)] public string RequestId { get; init; } = "";

    [Id(2)] public LockMode Mode { get; init; }

    [Id(3)] public int Priority { get; init; }

    [Id(4)] public DateTimeOffset EnqueuedAt { get; init; }

    [Id(5)] public DateTimeOffset Deadline { get; init; }
}
