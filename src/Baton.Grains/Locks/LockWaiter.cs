using Baton.Contracts.Locks;

namespace Baton.Grains.Locks;

/// <summary>A queued acquire request.</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.waiter")]
public sealed record LockWaiter
{
    [Id(0)] public string RequestId { get; init; } = "";

    [Id(1)] public string Owner { get; init; } = "";

    [Id(2)] public LockMode Mode { get; init; }

    [Id(3)] public int Priority { get; init; }

    [Id(4)] public TimeSpan Ttl { get; init; }

    [Id(5)] public string? Purpose { get; init; }

    [Id(6)] public DateTimeOffset EnqueuedAt { get; init; }

    [Id(7)] public DateTimeOffset Deadline { get; init; }
}
