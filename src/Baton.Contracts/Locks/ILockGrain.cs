namespace Baton.Contracts.Locks;

/// <summary>
/// One lockable resource, keyed by its resource key (<c>type:id</c>, see <see cref="LockKey"/>).
/// Many <see cref="LockMode.Shared"/> holders or one <see cref="LockMode.Exclusive"/>; a fair wait
/// queue; a fencing token that only grows; leases that expire unless heartbeated.
/// </summary>
public interface ILockGrain : IGrainWithStringKey
{
    /// <summary>
    /// Asks for the lock. Expected answers are outcomes, not exceptions: <see cref="LockOutcome.Acquired"/>,
    /// <see cref="LockOutcome.Unavailable"/> (held and <see cref="AcquireRequest.MaxWait"/> is zero),
    /// <see cref="LockOutcome.Queued"/>, <see cref="LockOutcome.TimedOut"/> or <see cref="LockOutcome.Deadlock"/>.
    /// Retrying with the same <see cref="AcquireRequest.RequestId"/> returns the same outcome, never a second lease.
    /// Throws <see cref="LockRequestException"/> for invalid input.
    /// </summary>
    /// <remarks>
    /// With <see cref="AcquireRequest.MaxWait"/> above zero the call returns when the request is granted, times
    /// out, or is ended as a deadlock victim; it does not block the lock meanwhile (heartbeats, releases and
    /// other requests keep flowing). The request lives in the lock's persisted state, not in the call: when
    /// the call fails (the silo hosting the lock died, a timeout), retry with the same RequestId to wait on
    /// (or get) the same request's outcome. <see cref="LockOutcome.Queued"/> is returned when
    /// <see cref="AcquireRequest.ReplyWithin"/> passed before the outcome was decided, or when the lock had to stop
    /// waiting on the caller's behalf (its activation is shutting down); the request then stays queued until its
    /// MaxWait, and a retry or <see cref="RequestStatus"/> follows it.
    /// The response timeout covers the longest MaxWait (300 s) plus the time to persist the outcome.
    /// </remarks>
    [ResponseTimeout("00:05:30")]
    Task<AcquireOutcome> Acquire(AcquireRequest request);

    /// <summary>Extends a lease to now + <paramref name="ttl"/>. Throws <see cref="LeaseNotFoundException"/> or <see cref="NotLockHolderException"/>.</summary>
    Task<HeartbeatResult> Heartbeat(string leaseId, string owner, TimeSpan ttl);

    /// <summary>Ends a lease held by <paramref name="owner"/>; repeating a release that already happened is a no-op.</summary>
    Task Release(string leaseId, string owner, string? reason);

    /// <summary>Ends any holder's lease; for admins (the caller checks the role). Who and why are recorded.</summary>
    Task ForceRelease(string leaseId, string admin, string reason);

    /// <summary>Holders, the wait queue in grant order, and recently ended leases.</summary>
    Task<LockDescription> Describe();

    /// <summary>True while a lease with this fencing token is held and not expired.</summary>
    Task<bool> IsCurrent(long fencingToken);

    /// <summary>What became of an acquire request (queued, granted, timed out, …), or null when this lock does not know it.</summary>
    Task<AcquireOutcome?> RequestStatus(string requestId);
}
