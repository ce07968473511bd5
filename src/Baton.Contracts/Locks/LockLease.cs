namespace Baton.Contracts.Locks;

/// <summary>
/// A granted lock. Present <see cref="FencingToken"/> to the guarded resource with every write: it only
/// grows per key, so the resource can refuse a write made under a lease that has since been replaced.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.locks.lease")]
public sealed record LockLease
{
    [Id(0)] public string LeaseId { get; init; } = "";

    [Id(1)] public string Key { get; init; } = "";

    [Id(2)] public string Owner { get; init; } = "";

    [Id(3)] public LockMode Mode { get; init; }

    [Id(4)] public long FencingToken { get; init; }

    [Id(5)] public DateTimeOffset AcquiredAt { get; init; }

    [Id(6)] public DateTimeOffset ExpiresAt { get; init; }
}
