using Baton.Contracts.Locks;
using Baton.Tests.Events;

namespace Baton.Tests.Locks;

/// <summary>
/// <see cref="AcquireRequest.ReplyWithin"/>: the call answers Queued early while the request stays queued until
/// its MaxWait (what HTTP's 202 Accepted needs). Rules without a cluster, then the grain on the fake clock.
/// </summary>
[Collection(FakeClockLockClusterCollection.Name)]
public sealed class LockReplyWithinTests(FakeClockLockCluster cluster)
{
    private static Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => FakeClockLockCluster.Clock;

    [Theory]
    [InlineData(-1, 10)]
    [InlineData(11, 10)]
    [InlineData(1, 0)]
    public void Reply_within_outside_zero_to_max_wait_is_refused_naming_the_field(int replySeconds, int maxWaitSeconds)
    {
        var @lock = new LockScenario();
        var request = @lock.Request("a", maxWaitSeconds: maxWaitSeconds) with { ReplyWithin = TimeSpan.FromSeconds(replySeconds) };

        var error = Assert.Throws<LockRequestException>(() => @lock.Table.Acquire(request, @lock.Now));

        Assert.Equal("ReplyWithin", error.Field);
        Assert.Contains("between 0 and MaxWait", error.Rule);
        Assert.Empty(@lock.Table.State.Waiters);
    }

    [Fact]
    public void Reply_within_does_not_change_what_the_table_decides()
    {
        var @lock = new LockScenario();
        @lock.Hold("alice");

        var queued = @lock.Table.Acquire(@lock.Request("bob", maxWaitSeconds: 60) with { ReplyWithin = TimeSpan.Zero }, @lock.Now);

        Assert.Equal(LockOutcome.Queued, queued.Outcome);
        Assert.Equal(1, queued.QueuePosition);
        Assert.Equal(@lock.Now + TimeSpan.FromSeconds(60), Assert.Single(@lock.Table.State.Waiters).Deadline);
    }

    [Fact]
    public async Task Call_answers_queued_after_reply_within_and_the_request_is_granted_later()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice", ttlSeconds: 300);
        var request = Requests.For("bob", maxWaitSeconds: 120) with { ReplyWithin = TimeSpan.FromSeconds(5) };

        var waiting = lockGrain.Acquire(request);
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);
        var answeredEarly = !waiting.IsCompleted;
        var reply = await AdvanceUntilAnswered(waiting);
        var stillQueued = await lockGrain.RequestStatus(request.RequestId);
        await lockGrain.Release(lease.LeaseId, "alice", "done");
        var granted = await lockGrain.RequestStatus(request.RequestId);

        Assert.True(answeredEarly, "the call answered before ReplyWithin passed");
        Assert.Equal(LockOutcome.Queued, reply.Outcome);
        Assert.Equal(1, reply.QueuePosition);
        Assert.Equal(LockOutcome.Queued, stillQueued!.Outcome);
        Assert.Equal(LockOutcome.Acquired, granted!.Outcome);
        Assert.Equal("bob", granted.Lease!.Owner);
        Assert.Equal(lease.FencingToken + 1, granted.Lease.FencingToken);
    }

    [Fact]
    public async Task Request_answered_queued_still_times_out_at_its_max_wait()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        await lockGrain.Hold("alice", ttlSeconds: 300);
        var request = Requests.For("bob", maxWaitSeconds: 30) with { ReplyWithin = TimeSpan.Zero };

        var reply = await lockGrain.Acquire(request);
        Clock.Advance(TimeSpan.FromSeconds(29));
        var beforeDeadline = await lockGrain.RequestStatus(request.RequestId);
        Clock.Advance(TimeSpan.FromSeconds(2));
        var afterDeadline = await lockGrain.RequestStatus(request.RequestId);

        Assert.Equal(LockOutcome.Queued, reply.Outcome);
        Assert.Equal(LockOutcome.Queued, beforeDeadline!.Outcome);
        Assert.Equal(LockOutcome.TimedOut, afterDeadline!.Outcome);
    }

    [Fact]
    public async Task Retry_with_the_same_request_id_after_queued_returns_the_grant()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice", ttlSeconds: 300);
        var request = Requests.For("bob", maxWaitSeconds: 60) with { ReplyWithin = TimeSpan.Zero };

        var first = await lockGrain.Acquire(request);
        await lockGrain.Release(lease.LeaseId, "alice", null);
        var retry = await lockGrain.Acquire(request);

        Assert.Equal(LockOutcome.Queued, first.Outcome);
        Assert.Equal(LockOutcome.Acquired, retry.Outcome);
        Assert.Equal(request.RequestId, retry.RequestId);
    }

    /// <summary>Moves the locks' clock a second at a time until the call answers (the grain's delay may start a moment after the queue shows the request).</summary>
    private static async Task<AcquireOutcome> AdvanceUntilAnswered(Task<AcquireOutcome> call)
    {
        for (var i = 0; i < 30 && !call.IsCompleted; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(call, Task.Delay(100));
        }

        return await call.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
