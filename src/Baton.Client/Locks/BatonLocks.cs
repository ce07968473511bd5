using Baton.Contracts.Locks;
using Baton.Contracts.Owners;

namespace Baton.Client.Locks;

/// <summary>
/// Locks for .NET callers: <c>await using var lease = await baton.Locks.AcquireAsync(key, owner)</c> gives a
/// <see cref="HeldLease"/> that heartbeats in the background, says when it is lost, and releases on dispose.
/// Every call has its own timeout and is retried on transient failures with the same RequestId (see
/// <see cref="LockCallPolicy"/>).
/// </summary>
public sealed class BatonLocks(IGrainFactory grains, TimeProvider? time = null)
{
    /// <summary>How long one call may take beyond the time it is allowed to wait in the queue.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a command keeps retrying transient failures (beyond any queue wait) before it gives up.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(30);

    internal TimeProvider Time { get; } = time ?? TimeProvider.System;

    /// <summary>Acquires the lock or throws <see cref="LockNotAcquiredException"/> saying why not.</summary>
    /// <exception cref="LockRequestException">The key or an option breaks a rule (the field is named).</exception>
    public async Task<HeldLease> AcquireAsync(string key, string owner, LockAcquireOptions? options = null, CancellationToken ct = default)
    {
        var (lease, outcome) = await TryAcquireAsync(key, owner, options, ct);
        return lease ?? throw new LockNotAcquiredException(key, outcome);
    }

    /// <summary>Acquires the lock if it can: the held lease, or null and the outcome that says why not.</summary>
    public async Task<(HeldLease? Lease, AcquireOutcome Outcome)> TryAcquireAsync(string key, string owner, LockAcquireOptions? options = null, CancellationToken ct = default)
    {
        LockKey.Validate(key);
        options ??= new LockAcquireOptions();
        var request = new AcquireRequest
        {
            Owner = owner,
            Mode = options.Mode,
            Ttl = options.Ttl,
            MaxWait = options.MaxWait,
            Priority = options.Priority,
            Purpose = options.Purpose,
            RequestId = options.RequestId ?? Guid.NewGuid().ToString("N"),
        };
        var started = Time.GetUtcNow();
        var outcome = await RequestAsync(key, request, ct);
        return outcome.Outcome == LockOutcome.Acquired
            ? (new HeldLease(this, grains.GetGrain<ILockGrain>(key), outcome.Lease!, request.Ttl, started), outcome)
            : (null, outcome);
    }

    /// <summary>
    /// Sends one acquire request (retried with its RequestId on transient failures) and returns its outcome, without
    /// heartbeating a granted lease: for callers that keep the lease alive themselves (the CLI, another process).
    /// </summary>
    public async Task<AcquireOutcome> RequestAsync(string key, AcquireRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        LockKey.Validate(key);
        request.Validate();
        var lockGrain = grains.GetGrain<ILockGrain>(key);
        var queueDeadline = Time.GetUtcNow() + request.MaxWait;
        return await LockCallPolicy.RunAsync(
            () => lockGrain.Acquire(request),
            // A retry waits on the same request for what is left of its wait.
            AttemptTimeoutUntil(queueDeadline),
            queueDeadline + RetryFor,
            Time,
            ct);
    }

    /// <summary>A lock's holders, queue and recently ended leases.</summary>
    public Task<LockDescription> DescribeAsync(string key, CancellationToken ct = default)
    {
        LockKey.Validate(key);
        return Run(() => grains.GetGrain<ILockGrain>(key).Describe(), ct);
    }

    /// <summary>What became of an acquire request on <paramref name="key"/>, or null when the lock does not know it.</summary>
    public Task<AcquireOutcome?> RequestStatusAsync(string key, string requestId, CancellationToken ct = default)
    {
        LockKey.Validate(key);
        return Run(() => grains.GetGrain<ILockGrain>(key).RequestStatus(requestId), ct);
    }

    /// <summary>The locks an owner holds and waits for, from the owner index (it trails the locks by the event stream's delay).</summary>
    public Task<OwnerLocks> ListAsync(string owner, CancellationToken ct = default) =>
        Run(() => grains.GetGrain<IOwnerGrain>(owner).GetLocks(), ct);

    /// <summary>Recently broken deadlocks, oldest first.</summary>
    public Task<IReadOnlyList<DeadlockCycle>> RecentDeadlocksAsync(CancellationToken ct = default) =>
        Run(() => grains.GetGrain<IDeadlockDetectorGrain>(IDeadlockDetectorGrain.ClusterKey).GetRecentDeadlocks(), ct);

    /// <summary>Extends a lease known only by its id (e.g. taken by another process): throws <see cref="LeaseNotFoundException"/> or <see cref="NotLockHolderException"/>.</summary>
    public Task<HeartbeatResult> HeartbeatAsync(string leaseId, string owner, TimeSpan ttl, CancellationToken ct = default) =>
        Run(() => LockOf(leaseId).Heartbeat(leaseId, owner, ttl), ct);

    /// <summary>Releases a lease known only by its id; repeating a release is a no-op.</summary>
    public Task ReleaseAsync(string leaseId, string owner, string? reason = null, CancellationToken ct = default) =>
        Run(async () =>
        {
            await LockOf(leaseId).Release(leaseId, owner, reason);
            return true;
        }, ct);

    /// <summary>Ends anyone's lease; for admins (this client path is trusted: check the role before calling). Who and why are recorded.</summary>
    public Task ForceReleaseAsync(string leaseId, string admin, string reason, CancellationToken ct = default) =>
        Run(async () =>
        {
            await LockOf(leaseId).ForceRelease(leaseId, admin, reason);
            return true;
        }, ct);

    internal Task<T> Run<T>(Func<Task<T>> call, CancellationToken ct) =>
        LockCallPolicy.RunAsync(call, CallTimeout, Time.GetUtcNow() + RetryFor, Time, ct);

    private TimeSpan AttemptTimeoutUntil(DateTimeOffset queueDeadline)
    {
        var left = queueDeadline - Time.GetUtcNow();
        return (left > TimeSpan.Zero ? left : TimeSpan.Zero) + CallTimeout;
    }

    private ILockGrain LockOf(string leaseId) => LockLeaseId.TryGetKey(leaseId, out var key)
        ? grains.GetGrain<ILockGrain>(key)
        : throw new LeaseNotFoundException(leaseId, ended: null);
}
