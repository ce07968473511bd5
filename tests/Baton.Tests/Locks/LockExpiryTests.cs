using Baton.Contracts.Locks;

namespace Baton.Tests.Locks;

/// <summary>Leases end at ExpiresAt unless heartbeated, waits end at their deadline, and time is replayed in order when the grain wakes late.</summary>
public sealed class LockExpiryTests
{
    [Fact]
    public void Lease_expires_at_ExpiresAt_and_the_next_waiter_is_granted_at_once()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a", ttlSeconds: 10);
        @lock.Acquire("b", maxWaitSeconds: 60);
        @lock.Table.TakeEvents();

        @lock.Wait(9.999);
        Assert.Equal(["a"], @lock.HolderOwners());

        @lock.Wait(0.001);
        Assert.Equal(["b"], @lock.HolderOwners());
        var events = @lock.Table.TakeEvents();
        var expired = Assert.IsType<LockExpired>(events[0]);
        Assert.Equal((a.LeaseId, a.FencingToken, a.ExpiresAt), (expired.LeaseId, expired.FencingToken, expired.ExpiredAt));
        var granted = Assert.IsType<LockAcquired>(events[1]);
        Assert.Equal("b", granted.Owner);
        Assert.Equal(TimeSpan.FromSeconds(10), granted.Waited);
    }

    [Fact]
    public void Every_operation_checks_expiry_first_even_when_no_timer_fired()
    {
        var @lock = new LockScenario();
        @lock.Hold("a", ttlSeconds: 10);

        @lock.Clock.Advance(TimeSpan.FromSeconds(11));   // the grain's timer never ran
        var b = @lock.Acquire("b");

        Assert.Equal(LockOutcome.Acquired, b.Outcome);
        Assert.Equal(["b"], @lock.HolderOwners());
    }

    [Fact]
    public void Heartbeat_extends_the_lease_past_its_original_expiry()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a", ttlSeconds: 10);

        @lock.Wait(8);
        var beat = @lock.Table.Heartbeat(a.LeaseId, "a", TimeSpan.FromSeconds(10), @lock.Now);
        @lock.Wait(8);

        Assert.Equal(@lock.Now + TimeSpan.FromSeconds(2), beat.ExpiresAt);
        Assert.Equal(a.FencingToken, beat.FencingToken);
        Assert.Equal(["a"], @lock.HolderOwners());
        Assert.True(@lock.Table.IsCurrent(a.FencingToken, @lock.Now));
    }

    [Fact]
    public void Heartbeat_by_someone_other_than_the_holder_is_refused_and_does_not_extend_the_lease()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a", ttlSeconds: 10);

        var error = Assert.Throws<NotLockHolderException>(() => @lock.Table.Heartbeat(a.LeaseId, "b", TimeSpan.FromSeconds(60), @lock.Now));

        Assert.Contains("not the holder", error.Message);
        Assert.Equal(a.ExpiresAt, @lock.Table.Holders.Single().Lease.ExpiresAt);
    }

    [Fact]
    public void Heartbeat_after_ExpiresAt_is_refused_even_before_the_expiry_was_processed()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a", ttlSeconds: 10);
        @lock.Clock.Advance(TimeSpan.FromSeconds(10));

        var error = Assert.Throws<LeaseNotFoundException>(() => @lock.Table.Heartbeat(a.LeaseId, "a", TimeSpan.FromSeconds(30), @lock.Now));

        Assert.Equal(LeaseEndKind.Expired, error.EndedAs);
        Assert.Contains("expired", error.Message);
        Assert.Empty(@lock.Table.Holders);
    }

    [Fact]
    public void Heartbeat_of_an_unknown_lease_is_not_found()
    {
        var @lock = new LockScenario();

        var error = Assert.Throws<LeaseNotFoundException>(() => @lock.Table.Heartbeat("repo:acme/web#9.abc", "a", TimeSpan.FromSeconds(30), @lock.Now));

        Assert.Null(error.EndedAs);
    }

    [Fact]
    public void Waiter_that_is_not_granted_within_MaxWait_times_out_and_leaves_the_queue()
    {
        var @lock = new LockScenario();
        @lock.Hold("a", ttlSeconds: 60);
        @lock.Acquire("b", maxWaitSeconds: 5, requestId: "b-request");
        @lock.Table.TakeEvents();

        @lock.Wait(5);

        Assert.Empty(@lock.QueueOwners());
        var outcome = @lock.Table.StatusOf("b-request", @lock.Now)!;
        Assert.Equal(LockOutcome.TimedOut, outcome.Outcome);
        var timedOut = Assert.Single(@lock.Events<LockWaitTimedOut>());
        Assert.Equal(("b", "b-request", "lock.wait_timed_out"), (timedOut.Owner, timedOut.RequestId, timedOut.Type));
    }

    [Fact]
    public void Late_wake_up_grants_a_waiter_that_was_still_waiting_when_the_lease_expired()
    {
        var @lock = new LockScenario();
        @lock.Hold("a", ttlSeconds: 10);
        @lock.Acquire("b", maxWaitSeconds: 20, requestId: "b-request");

        @lock.Wait(60);   // the silo was down; the reminder wakes the grain long after both times

        Assert.Equal(LockOutcome.Acquired, @lock.Table.StatusOf("b-request", @lock.Now)!.Outcome);
        Assert.Equal(@lock.Now + TimeSpan.FromSeconds(30), @lock.Table.Holders.Single().Lease.ExpiresAt);
    }

    [Fact]
    public void Late_wake_up_times_out_a_waiter_whose_deadline_came_before_the_lease_expired()
    {
        var @lock = new LockScenario();
        @lock.Hold("a", ttlSeconds: 10);
        @lock.Acquire("b", maxWaitSeconds: 5, requestId: "b-request");
        @lock.Acquire("c", maxWaitSeconds: 30, requestId: "c-request");

        @lock.Wait(60);

        Assert.Equal(LockOutcome.TimedOut, @lock.Table.StatusOf("b-request", @lock.Now)!.Outcome);
        Assert.Equal(LockOutcome.Acquired, @lock.Table.StatusOf("c-request", @lock.Now)!.Outcome);
    }

    [Fact]
    public void A_lease_granted_on_a_late_wake_up_then_expires_on_its_own_schedule()
    {
        var @lock = new LockScenario();
        @lock.Hold("a", ttlSeconds: 10);
        @lock.Acquire("b", maxWaitSeconds: 60, ttlSeconds: 5);
        @lock.Acquire("c", maxWaitSeconds: 300);

        @lock.Wait(12);   // a expired at 10; b granted at 12 until 17
        Assert.Equal(["b"], @lock.HolderOwners());
        @lock.Wait(5);

        Assert.Equal(["c"], @lock.HolderOwners());
    }

    [Fact]
    public void NextDeadline_is_the_earliest_lease_expiry_or_waiter_deadline()
    {
        var @lock = new LockScenario();
        Assert.Null(@lock.Table.NextDeadline(@lock.Now));

        @lock.Hold("a", ttlSeconds: 30);
        Assert.Equal(@lock.Now + TimeSpan.FromSeconds(30), @lock.Table.NextDeadline(@lock.Now));

        @lock.Acquire("b", maxWaitSeconds: 7);
        Assert.Equal(@lock.Now + TimeSpan.FromSeconds(7), @lock.Table.NextDeadline(@lock.Now));

        @lock.Wait(7);
        Assert.Equal(@lock.Now + TimeSpan.FromSeconds(23), @lock.Table.NextDeadline(@lock.Now));
    }

    [Fact]
    public void Release_of_an_expired_lease_says_it_expired()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a", ttlSeconds: 10);
        @lock.Wait(10);

        var error = Assert.Throws<LeaseNotFoundException>(() => @lock.Table.Release(a.LeaseId, "a", null, @lock.Now));

        Assert.Equal(LeaseEndKind.Expired, error.EndedAs);
    }
}
