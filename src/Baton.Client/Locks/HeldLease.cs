using Baton.Contracts.Locks;

namespace Baton.Client.Locks;

/// <summary>
/// A lock this process holds. It heartbeats in the background every third of the TTL; <see cref="Lost"/> is
/// cancelled as soon as the lease is known to be lost (a heartbeat refused because the lease ended or another
/// holds it, or no heartbeat got through before the lease would expire); disposing releases it.
/// </summary>
/// <remarks>
/// Named HeldLease, not LockLease, so that it does not clash with <see cref="LockLease"/> (the granted lease this wraps),
/// which callers of the SDK see too. A forced release or an expiry is noticed at the next heartbeat, so within a
/// third of the TTL; guard the resource itself with <see cref="FencingToken"/>, which stays correct even then.
/// </remarks>
public sealed class HeldLease : IAsyncDisposable
{
    private readonly BatonLocks _locks;
    private readonly ILockGrain _lock;
    private readonly TimeSpan _ttl;
    // Not disposed: Lost stays readable after the lease is released or disposed.
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _heartbeats;
    private DateTimeOffset _localExpiry;
    private int _released;

    internal HeldLease(BatonLocks locks, ILockGrain lockGrain, LockLease lease, TimeSpan ttl, DateTimeOffset requestedAt)
    {
        _locks = locks;
        _lock = lockGrain;
        _ttl = ttl;
        Lease = lease;
        // Measured on this machine's clock from before the request was sent: never later than the lock's own expiry.
        _localExpiry = requestedAt + ttl;
        _heartbeats = Task.Run(HeartbeatLoopAsync);
    }

    /// <summary>The lease as granted, with the expiry of the latest heartbeat.</summary>
    public LockLease Lease { get; private set; }

    public string LeaseId => Lease.LeaseId;

    public string Key => Lease.Key;

    public string Owner => Lease.Owner;

    /// <summary>Send this with every write to the guarded resource; it refuses writes with a smaller token than it has seen.</summary>
    public long FencingToken => Lease.FencingToken;

    public DateTimeOffset ExpiresAt => Lease.ExpiresAt;

    /// <summary>Cancelled the moment the lease is known to be lost; not cancelled by a release or dispose.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Why the lease was lost, once <see cref="Lost"/> is cancelled.</summary>
    public string? LostReason { get; private set; }

    /// <summary>Extends the lease now (the background heartbeat does this by itself).</summary>
    public async Task<HeartbeatResult> HeartbeatAsync(CancellationToken ct = default)
    {
        var sentAt = _locks.Time.GetUtcNow();
        try
        {
            var result = await _locks.Run(() => _lock.Heartbeat(LeaseId, Owner, _ttl), ct);
            Lease = Lease with { ExpiresAt = result.ExpiresAt };
            _localExpiry = sentAt + _ttl;
            return result;
        }
        catch (Exception ex) when (ex is LeaseNotFoundException or NotLockHolderException)
        {
            MarkLost(ex.Message);
            throw;
        }
    }

    /// <summary>Stops heartbeating and releases the lease; repeating it is a no-op. Throws when the lock could not be told.</summary>
    public async Task ReleaseAsync(string? reason = null, CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _released, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await _heartbeats;
        if (Lost.IsCancellationRequested)
        {
            // Nothing to release: the lease already ended (expired, force-released).
            return;
        }

        try
        {
            await _locks.Run(async () =>
            {
                await _lock.Release(LeaseId, Owner, reason);
                return true;
            }, ct);
        }
        catch (LeaseNotFoundException)
        {
            // It ended meanwhile (expired or force-released): there is nothing left to release.
        }
    }

    /// <summary>Releases the lease; a release that fails is left to expiry (at most the TTL) rather than thrown from dispose.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Dispose must not throw: the lease expires by itself within its TTL.
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        var time = _locks.Time;
        var interval = _ttl / 3;
        var next = interval;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(next, time, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var sentAt = time.GetUtcNow();
            if (sentAt >= _localExpiry)
            {
                MarkLost($"no heartbeat got through before the lease expired at {_localExpiry:O}");
                return;
            }

            try
            {
                // Each attempt gets a third of the TTL at most; retries stop when the lease would have expired.
                var attempt = interval < _locks.CallTimeout ? interval : _locks.CallTimeout;
                var result = await LockCallPolicy.RunAsync(() => _lock.Heartbeat(LeaseId, Owner, _ttl), attempt, _localExpiry, time, _stop.Token);
                Lease = Lease with { ExpiresAt = result.ExpiresAt };
                _localExpiry = sentAt + _ttl;
                next = interval;
            }
            catch (Exception ex) when (ex is LeaseNotFoundException or NotLockHolderException)
            {
                MarkLost(ex.Message);
                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Transient failures until the lease would expire: try again shortly, or give up at the top of the loop.
                next = TimeSpan.FromMilliseconds(200);
            }
        }
    }

    private void MarkLost(string reason)
    {
        if (_lost.IsCancellationRequested)
        {
            return;
        }

        LostReason = reason;
        try
        {
            _lost.Cancel();
        }
        catch (AggregateException)
        {
            // A caller's Lost callback threw; the lease is lost all the same.
        }
    }
}
