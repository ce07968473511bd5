namespace Baton.Contracts.Locks;

/// <summary>What an acquire request came to. <see cref="Lease"/> is set for <see cref="LockOutcome.Acquired"/>, <see cref="QueuePosition"/> (1-based) for <see cref="LockOutcome.Queued"/>.</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.acquire_outcome")]
public sealed record AcquireOutcome
{
    [Id(0)] public LockOutcome Outcome { get; init; }

    [Id(1)] public string RequestId { get; init; } = "";

    [Id(2)] public LockLease? Lease { get; init; }

    [Id(3)] public int? QueuePosition { get; init; }

    /// <summary>A sentence for people: who holds the lock, how long the request waited, the deadlock cycle.</summary>
    [Id(4)] public string? Detail { get; init; }

    public static AcquireOutcome Acquired(string requestId, LockLease lease) =>
        new() { Outcome = LockOutcome.Acquired, RequestId = requestId, Lease = lease };

    public static AcquireOutcome Queued(string requestId, int position) =>
        new() { Outcome = LockOutcome.Queued, RequestId = requestId, QueuePosition = position };

    public static AcquireOutcome Unavailable(string requestId, string detail) =>
        new() { Outcome = LockOutcome.Unavailable, RequestId = requestId, Detail = detail };

    public static AcquireOutcome TimedOut(string requestId, string detail) =>
        new() { Outcome = LockOutcome.TimedOut, RequestId = requestId, Detail = detail };

    public static AcquireOutcome Deadlock(string requestId, string detail) =>
        new() { Outcome = LockOutcome.Deadlock, RequestId = requestId, Detail = detail };
}
