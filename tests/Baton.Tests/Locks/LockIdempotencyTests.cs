using Baton.Contracts.Locks;
using Baton.Grains.Locks;

namespace Baton.Tests.Locks;

/// <summary>A retried request gets the same outcome and never a second lease; retried releases are harmless.</summary>
public sealed class LockIdempotencyTests
{
    [Fact]
    public void Retry_of_a_granted_request_returns_the_same_lease_and_grants_nothing_new()
    {
        var @lock = new LockScenario();
        var request = @lock.Request("a", requestId: "req-1");
        var first = @lock.Table.Acquire(request, @lock.Now);
        @lock.Table.TakeEvents();

        @lock.Wait(3);
        var retry = @lock.Table.Acquire(request, @lock.Now);

        Assert.Equal(LockOutcome.Acquired, retry.Outcome);
        Assert.Equal(first.Lease, retry.Lease);
        Assert.Single(@lock.Table.Holders);
        Assert.Equal(first.Lease!.FencingToken, @lock.Table.LastFencingToken);
        Assert.Empty(@lock.Table.TakeEvents());
    }

    [Fact]
    public void Retry_after_the_lease_was_released_returns_the_original_outcome_not_a_second_lease()
    {
        var @lock = new LockScenario();
        var request = @lock.Request("a", requestId: "req-1");
        var first = @lock.Table.Acquire(request, @lock.Now);
        @lock.Release(first.Lease!);

        var retry = @lock.Table.Acquire(request, @lock.Now);

        Assert.Equal(first.Lease!.LeaseId, retry.Lease!.LeaseId);
        Assert.Empty(@lock.Table.Holders);
        Assert.Equal(first.Lease.FencingToken, @lock.Table.LastFencingToken);
    }

    [Fact]
    public void Retry_of_a_queued_request_reports_its_current_position_and_does_not_queue_it_twice()
    {
        var @lock = new LockScenario();
        var holder = @lock.Hold("holder");
        @lock.Acquire("b", maxWaitSeconds: 60);
        var request = @lock.Request("c", maxWaitSeconds: 60, requestId: "req-c");
        Assert.Equal(2, @lock.Table.Acquire(request, @lock.Now).QueuePosition);
        @lock.Table.TakeEvents();

        @lock.Release(holder);
        var retry = @lock.Table.Acquire(request, @lock.Now);

        Assert.Equal(LockOutcome.Queued, retry.Outcome);
        Assert.Equal(1, retry.QueuePosition);
        Assert.Equal(["c"], @lock.QueueOwners());
        Assert.Empty(@lock.Table.TakeEvents().OfType<LockQueued>());
    }

    [Fact]
    public void Retry_of_a_queued_request_that_was_granted_since_returns_its_lease()
    {
        var @lock = new LockScenario();
        var holder = @lock.Hold("holder");
        var request = @lock.Request("b", maxWaitSeconds: 60, requestId: "req-b");
        @lock.Table.Acquire(request, @lock.Now);
        @lock.Release(holder);
        var granted = @lock.Table.Holders.Single().Lease;

        var retry = @lock.Table.Acquire(request, @lock.Now);

        Assert.Equal(granted, retry.Lease);
        Assert.Single(@lock.Table.Holders);
    }

    [Fact]
    public void Retry_of_an_unavailable_request_repeats_unavailable_even_once_the_lock_is_free()
    {
        var @lock = new LockScenario();
        var holder = @lock.Hold("holder");
        var request = @lock.Request("b", requestId: "req-b");
        Assert.Equal(LockOutcome.Unavailable, @lock.Table.Acquire(request, @lock.Now).Outcome);
        @lock.Release(holder);

        var retry = @lock.Table.Acquire(request, @lock.Now);

        Assert.Equal(LockOutcome.Unavailable, retry.Outcome);
        Assert.Empty(@lock.Table.Holders);
    }

    [Fact]
    public void Reusing_a_request_id_for_another_owner_is_refused_and_changes_nothing()
    {
        var @lock = new LockScenario();
        @lock.Acquire("a", requestId: "shared-id");
        @lock.Table.TakeEvents();

        var error = Assert.Throws<LockRequestException>(() => @lock.Acquire("b", requestId: "shared-id"));

        Assert.Equal("RequestId", error.Field);
        Assert.Contains("already used", error.Message);
        Assert.Equal(["a"], @lock.HolderOwners());
        Assert.Empty(@lock.Table.TakeEvents());
    }

    [Fact]
    public void Repeated_release_by_the_owner_is_a_no_op()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a");
        var b = @lock.Acquire("b", maxWaitSeconds: 60);
        Assert.True(@lock.Table.Release(a.LeaseId, "a", null, @lock.Now));
        @lock.Table.TakeEvents();

        Assert.False(@lock.Table.Release(a.LeaseId, "a", null, @lock.Now));

        Assert.Equal(["b"], @lock.HolderOwners());
        Assert.Empty(@lock.Table.TakeEvents());
    }

    [Fact]
    public void Repeated_forced_release_is_a_no_op()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a");
        Assert.True(@lock.Table.ForceRelease(a.LeaseId, "admin", "stuck", @lock.Now));

        Assert.False(@lock.Table.ForceRelease(a.LeaseId, "admin", "stuck", @lock.Now));
    }

    [Fact]
    public void The_memory_of_ended_requests_is_bounded()
    {
        var options = new LockTableOptions { RememberedRequests = 8, RememberedLeaseEnds = 4 };
        var @lock = new LockScenario(options: options);

        for (var i = 0; i < 100; i++)
        {
            @lock.Release(@lock.Hold($"owner-{i}"));
        }

        Assert.Equal(8, @lock.Table.State.Requests.Count);
        Assert.Equal(4, @lock.Table.State.EndedLeases.Count);
    }

    [Fact]
    public void A_held_lease_is_still_recognised_on_retry_after_its_request_fell_out_of_memory()
    {
        var options = new LockTableOptions { RememberedRequests = 2 };
        var @lock = new LockScenario(options: options);
        var request = @lock.Request("keeper", LockMode.Shared, requestId: "keeper-request");
        var first = @lock.Table.Acquire(request, @lock.Now);
        for (var i = 0; i < 10; i++)
        {
            @lock.Release(@lock.Hold($"reader-{i}", LockMode.Shared));
        }

        var retry = @lock.Table.Acquire(request, @lock.Now);

        Assert.Equal(first.Lease!.LeaseId, retry.Lease!.LeaseId);
        Assert.Single(@lock.Table.Holders);
    }
}
