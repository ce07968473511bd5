namespace Baton.Contracts.Locks;

/// <summary>A current holder of a lock: its lease and the request that won it.</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.holder")]
public sealed record LockHolder
{
    [Id(0)] public LockLease Lease { get; init; } = new();

    [Id(1)] public string RequestId { get; init; } = "";

    [Id(2)] public int Priority { get; init; }

    [Id(3)] public string? Purpose { get; init; }
}
