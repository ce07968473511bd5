using Baton.Contracts.Locks;
using Baton.Tests.Events;

namespace Baton.Tests.Locks;

/// <summary>Expiry, heartbeats and wait deadlines of the lock grain, driven by a FakeTimeProvider: every call advances the lock first.</summary>
[Collection(FakeClockLockClusterCollection.Name)]
public sealed class LockGrainClockTests(FakeClockLockCluster cluster)
{
    private static Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => FakeClockLockCluster.Clock;

    [Fact]
    public async Task Lease_ends_when_the_clock_passes_its_expiry_and_the_waiter_is_granted_then()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice", ttlSeconds: 30);
        var waiting = lockGrain.Acquire(Requests.For("bob", maxWaitSeconds: 120));
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);

        Clock.Advance(TimeSpan.FromSeconds(29));
        var beforeExpiry = await lockGrain.IsCurrent(lease.FencingToken);
        var waitingBeforeExpiry = !waiting.IsCompleted;
        Clock.Advance(TimeSpan.FromSeconds(2));
        var afterExpiry = await lockGrain.IsCurrent(lease.FencingToken);
        var granted = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(beforeExpiry);
        Assert.True(waitingBeforeExpiry);
        Assert.False(afterExpiry);
        Assert.Equal(LockOutcome.Acquired, granted.Outcome);
        Assert.Equal(lease.FencingToken + 1, granted.Lease!.FencingToken);
        Assert.Equal(Clock.GetUtcNow(), granted.Lease.AcquiredAt);
        var heartbeat = await Assert.ThrowsAsync<LeaseNotFoundException>(() => lockGrain.Heartbeat(lease.LeaseId, "alice", TimeSpan.FromSeconds(30)));
        Assert.Equal(LeaseEndKind.Expired, heartbeat.EndedAs);
    }

    [Fact]
    public async Task Heartbeat_moves_the_expiry_to_now_plus_the_ttl()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice", ttlSeconds: 30);

        Clock.Advance(TimeSpan.FromSeconds(20));
        var extended = await lockGrain.Heartbeat(lease.LeaseId, "alice", TimeSpan.FromSeconds(30));
        Clock.Advance(TimeSpan.FromSeconds(20));
        var stillHeld = await lockGrain.IsCurrent(lease.FencingToken);
        Clock.Advance(TimeSpan.FromSeconds(11));
        var gone = await lockGrain.IsCurrent(lease.FencingToken);

        Assert.Equal(lease.AcquiredAt + TimeSpan.FromSeconds(50), extended.ExpiresAt);
        Assert.True(stillHeld);
        Assert.False(gone);
    }

    [Fact]
    public async Task Wait_ends_as_timed_out_when_the_clock_passes_max_wait()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        await lockGrain.Hold("alice", ttlSeconds: 300);
        var request = Requests.For("bob", maxWaitSeconds: 10);
        var waiting = lockGrain.Acquire(request);
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);

        Clock.Advance(TimeSpan.FromSeconds(9));
        var queued = await lockGrain.RequestStatus(request.RequestId);
        Clock.Advance(TimeSpan.FromSeconds(2));
        var described = await lockGrain.Describe();
        var outcome = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(LockOutcome.Queued, queued!.Outcome);
        Assert.Empty(described.Queue);
        Assert.Equal(LockOutcome.TimedOut, outcome.Outcome);
        Assert.Equal(LockOutcome.TimedOut, (await lockGrain.RequestStatus(request.RequestId))!.Outcome);
    }
}
