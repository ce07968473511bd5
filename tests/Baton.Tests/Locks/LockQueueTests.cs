using Baton.Contracts.Locks;
using Baton.Grains.Locks;

namespace Baton.Tests.Locks;

/// <summary>Waiters are served by priority, then arrival; aging stops starvation; nobody overtakes a queued writer it conflicts with.</summary>
public sealed class LockQueueTests
{
    [Fact]
    public void Higher_priority_waiter_is_granted_before_an_earlier_lower_priority_waiter()
    {
        var @lock = new LockScenario();
        var holder = @lock.Hold("holder");
        @lock.Acquire("low", priority: 10, maxWaitSeconds: 120);
        @lock.Wait(1);
        var high = @lock.Acquire("high", priority: 90, maxWaitSeconds: 120);

        Assert.Equal(1, high.QueuePosition);
        @lock.Release(holder);

        Assert.Equal(["high"], @lock.HolderOwners());
        Assert.Equal(["low"], @lock.QueueOwners());
    }

    [Fact]
    public void Waiters_of_equal_priority_are_granted_in_arrival_order()
    {
        var @lock = new LockScenario();
        var holder = @lock.Hold("holder");
        foreach (var owner in new[] { "first", "second", "third" })
        {
            @lock.Acquire(owner, priority: 50, maxWaitSeconds: 120);
        }

        var granted = new List<string>();
        var lease = holder;
        for (var i = 0; i < 3; i++)
        {
            @lock.Release(lease);
            lease = @lock.Table.Holders.Single().Lease;
            granted.Add(lease.Owner);
        }

        Assert.Equal(["first", "second", "third"], granted);
    }

    [Fact]
    public void Shared_request_behind_a_queued_exclusive_waits_its_turn()
    {
        var @lock = new LockScenario();
        var reader = @lock.Hold("reader", LockMode.Shared);
        @lock.Acquire("writer", LockMode.Exclusive, maxWaitSeconds: 120);

        var lateReader = @lock.Acquire("late-reader", LockMode.Shared, maxWaitSeconds: 120);

        Assert.Equal(LockOutcome.Queued, lateReader.Outcome);
        Assert.Equal(2, lateReader.QueuePosition);
        Assert.Equal(["reader"], @lock.HolderOwners());

        @lock.Release(reader);
        Assert.Equal(["writer"], @lock.HolderOwners());
        @lock.Release(@lock.Table.Holders.Single().Lease);
        Assert.Equal(["late-reader"], @lock.HolderOwners());
    }

    [Fact]
    public void Shared_request_that_would_only_fit_by_overtaking_a_queued_exclusive_is_unavailable_without_waiting()
    {
        var @lock = new LockScenario();
        @lock.Hold("reader", LockMode.Shared);
        @lock.Acquire("writer", LockMode.Exclusive, maxWaitSeconds: 120);

        var tryReader = @lock.Acquire("try-reader", LockMode.Shared);

        Assert.Equal(LockOutcome.Unavailable, tryReader.Outcome);
        Assert.Contains("waiters ahead", tryReader.Detail);
    }

    [Fact]
    public void Timed_out_exclusive_at_the_head_lets_the_shared_waiters_behind_it_through()
    {
        var @lock = new LockScenario();
        @lock.Hold("reader", LockMode.Shared, ttlSeconds: 300);
        @lock.Acquire("writer", LockMode.Exclusive, maxWaitSeconds: 5, requestId: "writer-request");
        @lock.Acquire("reader-2", LockMode.Shared, maxWaitSeconds: 60);

        @lock.Wait(5);

        Assert.Equal(["reader", "reader-2"], @lock.HolderOwners());
        Assert.Equal(LockOutcome.TimedOut, @lock.Table.StatusOf("writer-request", @lock.Now)!.Outcome);
    }

    [Fact]
    public void Effective_priority_grows_by_one_per_aging_step_and_the_queue_shows_it()
    {
        var @lock = new LockScenario(options: new LockTableOptions { AgingStep = TimeSpan.FromSeconds(2) });
        @lock.Hold("holder", ttlSeconds: 300);
        @lock.Acquire("waiter", priority: 10, maxWaitSeconds: 300);

        @lock.Wait(20);

        var entry = Assert.Single(@lock.Table.Queue(@lock.Now));
        Assert.Equal(20, entry.EffectivePriority, precision: 6);
        Assert.Equal(10, entry.Priority);
    }

    [Fact]
    public void A_waiter_that_has_aged_past_a_newcomers_priority_stays_ahead_of_it()
    {
        var @lock = new LockScenario(options: new LockTableOptions { AgingStep = TimeSpan.FromSeconds(2) });
        var holder = @lock.Hold("holder", ttlSeconds: 300);
        @lock.Acquire("patient", priority: 0, maxWaitSeconds: 300);
        @lock.Wait(100);   // patient's effective priority is now 50

        var newcomer = @lock.Acquire("newcomer", priority: 49, maxWaitSeconds: 300);

        Assert.Equal(2, newcomer.QueuePosition);
        @lock.Release(holder);
        Assert.Equal(["patient"], @lock.HolderOwners());
    }

    [Fact]
    public void Aging_lets_a_low_priority_waiter_through_a_constant_stream_of_high_priority_arrivals()
    {
        var (grantedAfter, highGrantsBefore) = RunStream(new LockTableOptions { AgingStep = TimeSpan.FromSeconds(2) });

        // The documented rate: after 100 × 2 s a priority-0 waiter ranks with any fresh priority-100 arrival.
        Assert.NotNull(grantedAfter);
        Assert.InRange(grantedAfter!.Value.TotalSeconds, 1, 100 * 2 + 1);
        Assert.True(highGrantsBefore >= 100, $"priority should still have mattered first; only {highGrantsBefore} high grants came before");
    }

    [Fact]
    public void Without_aging_the_same_stream_starves_the_low_priority_waiter_until_it_times_out()
    {
        var (grantedAfter, _) = RunStream(new LockTableOptions { AgingStep = TimeSpan.FromDays(365) });

        Assert.Null(grantedAfter);
    }

    /// <summary>
    /// One priority-0 waiter; every second a priority-100 request arrives and the current holder releases.
    /// Returns how long the low waiter waited for its grant (null when it never got one) and how many
    /// high-priority grants came before it.
    /// </summary>
    private static (TimeSpan? GrantedAfter, int HighGrantsBefore) RunStream(LockTableOptions options)
    {
        var @lock = new LockScenario(options: options);
        var current = @lock.Hold("first-holder", ttlSeconds: 300);
        var start = @lock.Now;
        @lock.Acquire("low", priority: 0, maxWaitSeconds: 300, requestId: "low-request");
        var highGrants = 0;

        for (var second = 1; second <= 300; second++)
        {
            @lock.Wait(1);
            @lock.Acquire($"high-{second}", priority: 100, maxWaitSeconds: 300, ttlSeconds: 300);
            @lock.Release(current);
            current = @lock.Table.Holders.Single().Lease;
            if (current.Owner == "low")
            {
                return (@lock.Now - start, highGrants);
            }

            highGrants++;
            if (@lock.Table.StatusOf("low-request", @lock.Now)?.Outcome == LockOutcome.TimedOut)
            {
                return (null, highGrants);
            }
        }

        return (null, highGrants);
    }
}
