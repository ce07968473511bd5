using Baton.Contracts.Locks;

namespace Baton.Tests.Locks;

/// <summary>Many shared holders or one exclusive holder; only the holder lets go of its lease, admins excepted.</summary>
public sealed class LockCompatibilityTests
{
    [Fact]
    public void Shared_requests_are_granted_together()
    {
        var @lock = new LockScenario();

        var a = @lock.Acquire("a", LockMode.Shared);
        var b = @lock.Acquire("b", LockMode.Shared);
        var c = @lock.Acquire("c", LockMode.Shared);

        Assert.All([a, b, c], o => Assert.Equal(LockOutcome.Acquired, o.Outcome));
        Assert.Equal(["a", "b", "c"], @lock.HolderOwners());
    }

    [Fact]
    public void Exclusive_request_is_unavailable_while_another_exclusive_holds_and_MaxWait_is_zero()
    {
        var @lock = new LockScenario();
        @lock.Hold("a");

        var b = @lock.Acquire("b");

        Assert.Equal(LockOutcome.Unavailable, b.Outcome);
        Assert.Null(b.Lease);
        Assert.Contains("held exclusively by a", b.Detail);
        Assert.Empty(@lock.QueueOwners());
        Assert.Equal(["a"], @lock.HolderOwners());
    }

    [Fact]
    public void Exclusive_request_waits_while_shared_holders_hold()
    {
        var @lock = new LockScenario();
        @lock.Hold("a", LockMode.Shared);
        @lock.Hold("b", LockMode.Shared);

        var c = @lock.Acquire("c", LockMode.Exclusive, maxWaitSeconds: 60);

        Assert.Equal(LockOutcome.Queued, c.Outcome);
        Assert.Equal(1, c.QueuePosition);
        Assert.Equal(["a", "b"], @lock.HolderOwners());
    }

    [Fact]
    public void Shared_request_is_refused_while_an_exclusive_holder_holds()
    {
        var @lock = new LockScenario();
        @lock.Hold("a");

        Assert.Equal(LockOutcome.Unavailable, @lock.Acquire("b", LockMode.Shared).Outcome);
        Assert.Equal(LockOutcome.Queued, @lock.Acquire("c", LockMode.Shared, maxWaitSeconds: 10).Outcome);
        Assert.Equal(["a"], @lock.HolderOwners());
    }

    [Fact]
    public void Exclusive_waiter_is_granted_when_the_last_shared_holder_releases()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a", LockMode.Shared);
        var b = @lock.Hold("b", LockMode.Shared);
        @lock.Acquire("c", maxWaitSeconds: 60);

        @lock.Release(a);
        Assert.Equal(["b"], @lock.HolderOwners());
        @lock.Release(b);

        Assert.Equal(["c"], @lock.HolderOwners());
        Assert.Empty(@lock.QueueOwners());
    }

    [Fact]
    public void All_shared_waiters_are_granted_at_once_when_the_exclusive_holder_releases()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a");
        @lock.Acquire("b", LockMode.Shared, maxWaitSeconds: 60);
        @lock.Acquire("c", LockMode.Shared, maxWaitSeconds: 60);
        @lock.Table.TakeEvents();

        @lock.Release(a);

        Assert.Equal(["b", "c"], @lock.HolderOwners());
        var granted = @lock.Events<LockAcquired>();
        Assert.Equal(["b", "c"], granted.Select(e => e.Owner));
    }

    [Fact]
    public void Release_by_someone_other_than_the_holder_is_refused_and_changes_nothing()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a");
        @lock.Table.TakeEvents();

        var error = Assert.Throws<NotLockHolderException>(() => @lock.Table.Release(a.LeaseId, "mallory", null, @lock.Now));

        Assert.Contains("not the holder", error.Message);
        Assert.Equal("mallory", error.Caller);
        Assert.Equal(["a"], @lock.HolderOwners());
        Assert.Empty(@lock.Table.TakeEvents());
    }

    [Fact]
    public void Release_emits_lock_released_with_key_owner_token_and_request()
    {
        var @lock = new LockScenario();
        var outcome = @lock.Acquire("a", requestId: "req-a");
        @lock.Table.TakeEvents();

        @lock.Release(outcome.Lease!);

        var released = Assert.Single(@lock.Events<LockReleased>());
        Assert.Equal(("repo:acme/web", "a", outcome.Lease!.FencingToken, "req-a", "lock.released"),
            (released.Key, released.Owner, released.FencingToken, released.RequestId, released.Type));
    }

    [Fact]
    public void Forced_release_ends_anyones_lease_records_who_and_why_and_grants_the_next_waiter()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a");
        @lock.Acquire("b", maxWaitSeconds: 60);
        @lock.Table.TakeEvents();

        Assert.True(@lock.Table.ForceRelease(a.LeaseId, "ops-admin", "agent a is wedged", @lock.Now));

        Assert.Equal(["b"], @lock.HolderOwners());
        var forced = Assert.Single(@lock.Events<LockForceReleased>());
        Assert.Equal(("a", "ops-admin", "agent a is wedged", a.FencingToken), (forced.Owner, forced.Admin, forced.Reason, forced.FencingToken));
        var ended = Assert.Single(@lock.Table.Describe(@lock.Now).RecentlyEnded);
        Assert.Equal((LeaseEndKind.ForceReleased, "ops-admin", "agent a is wedged"), (ended.Kind, ended.By, ended.Reason));
        var gone = Assert.Throws<LeaseNotFoundException>(() => @lock.Table.Heartbeat(a.LeaseId, "a", TimeSpan.FromSeconds(30), @lock.Now));
        Assert.Equal(LeaseEndKind.ForceReleased, gone.EndedAs);
        Assert.Contains("ops-admin", gone.Message);
    }

    [Fact]
    public void Forced_release_needs_a_reason()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a");

        var error = Assert.Throws<LockRequestException>(() => @lock.Table.ForceRelease(a.LeaseId, "ops-admin", " ", @lock.Now));

        Assert.Equal("Reason", error.Field);
        Assert.Equal(["a"], @lock.HolderOwners());
    }
}
