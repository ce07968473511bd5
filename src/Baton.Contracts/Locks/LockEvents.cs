using System.Text.Json.Serialization;

namespace Baton.Contracts.Locks;

/// <summary>The event types published on stream <c>locks</c>.</summary>
public static class LockEventTypes
{
    public const string Acquired = "lock.acquired";
    public const string Queued = "lock.queued";
    public const string Released = "lock.released";
    public const string Expired = "lock.expired";
    public const string ForceReleased = "lock.force_released";
    public const string WaitTimedOut = "lock.wait_timed_out";
    public const string DeadlockDetected = "lock.deadlock_detected";
}

/// <summary>
/// Something that happened to a lock. Every event names the key, the owner concerned, the fencing token
/// (null when no lease is involved, e.g. queueing) and the request id (null for events about a lease
/// whose request is no longer known).
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.locks.event")]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(LockAcquired), LockEventTypes.Acquired)]
[JsonDerivedType(typeof(LockQueued), LockEventTypes.Queued)]
[JsonDerivedType(typeof(LockReleased), LockEventTypes.Released)]
[JsonDerivedType(typeof(LockExpired), LockEventTypes.Expired)]
[JsonDerivedType(typeof(LockForceReleased), LockEventTypes.ForceReleased)]
[JsonDerivedType(typeof(LockWaitTimedOut), LockEventTypes.WaitTimedOut)]
[JsonDerivedType(typeof(LockDeadlockDetected), LockEventTypes.DeadlockDetected)]
public abstract record LockEvent
{
    [Id(0)] public string Key { get; init; } = "";

    [Id(1)] public string Owner { get; init; } = "";

    [Id(2)] public long? FencingToken { get; init; }

    [Id(3)] public string? RequestId { get; init; }

    [Id(4)] public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The event type, e.g. <c>lock.acquired</c> (<see cref="LockEventTypes"/>).</summary>
    [JsonIgnore]
    public abstract string Type { get; }
}

[GenerateSerializer, Immutable, Alias("baton.locks.acquired")]
public sealed record LockAcquired : LockEvent
{
    [JsonIgnore]
    public override string Type => LockEventTypes.Acquired;

    [Id(0)] public LockLease Lease { get; init; } = new();

    /// <summary>How long the request waited in the queue before this grant (zero when granted at once).</summary>
    [Id(1)] public TimeSpan Waited { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.locks.queued")]
public sealed record LockQueued : LockEvent
{
    [JsonIgnore]
    public override string Type => LockEventTypes.Queued;

    [Id(0)] public LockMode Mode { get; init; }

    [Id(1)] public int Priority { get; init; }

    [Id(2)] public int Position { get; init; }

    [Id(3)] public DateTimeOffset Deadline { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.locks.released")]
public sealed record LockReleased : LockEvent
{
    [JsonIgnore]
    public override string Type => LockEventTypes.Released;

    [Id(0)] public string LeaseId { get; init; } = "";

    [Id(1)] public string? Reason { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.locks.expired")]
public sealed record LockExpired : LockEvent
{
    [JsonIgnore]
    public override string Type => LockEventTypes.Expired;

    [Id(0)] public string LeaseId { get; init; } = "";

    [Id(1)] public DateTimeOffset ExpiredAt { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.locks.force_released")]
public sealed record LockForceReleased : LockEvent
{
    [JsonIgnore]
    public override string Type => LockEventTypes.ForceReleased;

    [Id(0)] public string LeaseId { get; init; } = "";

    [Id(1)] public string Admin { get; init; } = "";

    [Id(2)] public string Reason { get; init; } = "";
}

[GenerateSerializer, Immutable, Alias("baton.locks.wait_timed_out")]
public sealed record LockWaitTimedOut : LockEvent
{
    [JsonIgnore]
    public override string Type => LockEventTypes.WaitTimedOut;

    [Id(0)] public LockMode Mode { get; init; }

    [Id(1)] public DateTimeOffset EnqueuedAt { get; init; }
}

/// <summary>Published by the lock the victim waited on; <see cref="LockEvent.Owner"/> and <see cref="LockEvent.RequestId"/> are the victim's.</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.deadlock_detected")]
public sealed record LockDeadlockDetected : LockEvent
{
    [JsonIgnore]
    public override string Type => LockEventTypes.DeadlockDetected;

    [Id(0)] public DeadlockCycle Cycle { get; init; } = new();
}
