namespace Baton.Contracts.Locks;

/// <summary>A waiter as shown by <see cref="ILockGrain.Describe"/>; <see cref="Position"/> 1 is granted next.</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.queue_entry")]
public sealed record LockQueueEntry
{
    [Id(0)] public int Position { get; init; }

    [Id(1)] public string Owner { get; init; } = "";

    [Id(2)] public LockMode Mode { get; init; }

    [Id(3)] public int Priority { get; init; }

    /// <summary>Priority plus what waiting has earned so far (aging), at the time of the description.</summary>
    [Id(4)] public double EffectivePriority { get; init; }

    [Id(5)] public DateTimeOffset EnqueuedAt { get; init; }

    /// <summary>When the request leaves the queue as <see cref="LockOutcome.TimedOut"/> unless granted first.</summary>
    [Id(6)] public DateTimeOffset Deadline { get; init; }

    [Id(7)] public string RequestId { get; init; } = "";

    [Id(8)] public string? Purpose { get; init; }
}
