using Baton.Client.Locks;
using Baton.Contracts;
using Baton.Contracts.Locks;
using Orleans.Runtime;

namespace Baton.Tests.Locks;

/// <summary>
/// <c>baton.Locks</c> through a real client and gateway. These run on real time: the background heartbeat is the
/// client's own timer against the silo's clock, and the shortest TTL a lock allows is 5 s.
/// </summary>
[Collection(LockApiSiloCollection.Name)]
public sealed class LockSdkTests(LockApiSilo api)
{
    private BatonLocks Locks => api.Client.Locks;

    [Fact]
    public async Task Background_heartbeat_keeps_a_short_ttl_lease_alive_past_its_ttl()
    {
        var key = Requests.Key("repo");
        await using var lease = await Locks.AcquireAsync(key, "sdk-agent", new LockAcquireOptions { Ttl = TimeSpan.FromSeconds(5) });
        var firstExpiry = lease.ExpiresAt;

        await Task.Delay(TimeSpan.FromSeconds(7));
        var described = await Locks.DescribeAsync(key);
        var current = await api.Client.Grains.GetGrain<ILockGrain>(key).IsCurrent(lease.FencingToken);

        Assert.True(current, "the lease expired although the SDK heartbeats it");
        Assert.Equal(lease.LeaseId, Assert.Single(described.Holders).Lease.LeaseId);
        Assert.True(lease.ExpiresAt > firstExpiry + TimeSpan.FromSeconds(4), $"expiry moved from {firstExpiry:O} only to {lease.ExpiresAt:O}");
        Assert.False(lease.Lost.IsCancellationRequested);
    }

    [Fact]
    public async Task Lost_fires_when_an_admin_force_releases_the_lease()
    {
        var key = Requests.Key("repo");
        await using var lease = await Locks.AcquireAsync(key, "sdk-agent", new LockAcquireOptions { Ttl = TimeSpan.FromSeconds(6) });
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lease.Lost.Register(() => lost.TrySetResult());

        await Locks.ForceReleaseAsync(lease.LeaseId, "ops", "stuck job");
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(lease.Lost.IsCancellationRequested);
        Assert.Contains("force-released by 'ops'", lease.LostReason);
    }

    [Fact]
    public async Task Dispose_releases_the_lease_and_the_next_caller_gets_the_lock()
    {
        var key = Requests.Key("repo");
        string leaseId;
        await using (var lease = await Locks.AcquireAsync(key, "sdk-agent"))
        {
            leaseId = lease.LeaseId;
            var whileHeld = await Locks.TryAcquireAsync(key, "other");
            Assert.Equal(LockOutcome.Unavailable, whileHeld.Outcome.Outcome);
        }

        var described = await Locks.DescribeAsync(key);
        await using var next = await Locks.AcquireAsync(key, "other");

        Assert.Empty(described.Holders);
        var ended = Assert.Single(described.RecentlyEnded);
        Assert.Equal(leaseId, ended.LeaseId);
        Assert.Equal(LeaseEndKind.Released, ended.Kind);
        Assert.Equal(2, next.FencingToken);
    }

    [Fact]
    public async Task Acquire_throws_saying_why_when_the_lock_is_not_available_and_waits_when_asked()
    {
        var key = Requests.Key("repo");
        var holder = await Locks.AcquireAsync(key, "first");

        var refused = await Assert.ThrowsAsync<LockNotAcquiredException>(() => Locks.AcquireAsync(key, "second"));
        var waiting = Locks.AcquireAsync(key, "second", new LockAcquireOptions { MaxWait = TimeSpan.FromSeconds(20) });
        await holder.DisposeAsync();
        await using var granted = await waiting;

        Assert.Equal(LockOutcome.Unavailable, refused.Outcome.Outcome);
        Assert.Contains("first", refused.Message);
        Assert.Equal("second", granted.Owner);
    }

    [Fact]
    public async Task A_call_that_hangs_is_cut_short_and_retried_with_the_same_request()
    {
        var attempts = new List<AcquireRequest>();
        var request = new AcquireRequest { Owner = "a", RequestId = "r-1" };
        var hung = new TaskCompletionSource<AcquireOutcome>();

        var outcome = await LockCallPolicy.RunAsync(
            () =>
            {
                attempts.Add(request);
                return attempts.Count == 1 ? hung.Task : Task.FromResult(AcquireOutcome.Queued(request.RequestId, 1));
            },
            TimeSpan.FromMilliseconds(200), DateTimeOffset.UtcNow.AddSeconds(10), TimeProvider.System, CancellationToken.None);

        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal("r-1", a.RequestId));
        Assert.Equal(LockOutcome.Queued, outcome.Outcome);
    }

    [Fact]
    public async Task Transient_failures_are_retried_until_the_deadline_and_refusals_are_not()
    {
        var transient = 0;
        var refused = 0;

        await Assert.ThrowsAsync<SiloUnavailableException>(() => LockCallPolicy.RunAsync<int>(
            () => { transient++; throw new SiloUnavailableException("gone"); },
            TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow.AddMilliseconds(800), TimeProvider.System, CancellationToken.None));
        await Assert.ThrowsAsync<NotLockHolderException>(() => LockCallPolicy.RunAsync<int>(
            () => { refused++; throw new NotLockHolderException("lease", "x"); },
            TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow.AddSeconds(10), TimeProvider.System, CancellationToken.None));

        Assert.InRange(transient, 3, 10);
        Assert.Equal(1, refused);
        Assert.True(LockCallPolicy.IsTransient(new StateConflictException("moved")));
    }
}
