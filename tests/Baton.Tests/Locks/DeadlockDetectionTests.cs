using Baton.Contracts.Locks;
using Baton.Grains.Locks;

namespace Baton.Tests.Locks;

/// <summary>Owners waiting on each other in a ring are found, and exactly one wait per ring is chosen to end.</summary>
public sealed class DeadlockDetectionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static LockWait Wait(string owner, string key, string blockedBy, int sinceSeconds = 0, int priority = 50) => new()
    {
        Owner = owner,
        Key = key,
        RequestId = $"{owner}->{key}",
        Priority = priority,
        WaitingSince = T0.AddSeconds(sinceSeconds),
        BlockedBy = blockedBy.Split(',', StringSplitOptions.RemoveEmptyEntries),
    };

    private static IReadOnlyList<DeadlockCycle> Find(IEnumerable<LockWait> waits, DeadlockVictimPolicy policy = DeadlockVictimPolicy.YoungestWait) =>
        new WaitForGraph(waits).FindDeadlocks(T0.AddSeconds(60), policy);

    [Fact]
    public void Two_owners_waiting_for_each_others_locks_are_a_deadlock_and_the_youngest_wait_is_the_victim()
    {
        var cycles = Find([
            Wait("a", "repo:l2", "b", sinceSeconds: 1),
            Wait("b", "repo:l1", "a", sinceSeconds: 5),
        ]);

        var cycle = Assert.Single(cycles);
        Assert.Equal(["a", "b"], cycle.Waits.Select(w => w.Owner));
        Assert.Equal("b", cycle.Victim.Owner);
        Assert.Equal("a waits for repo:l2 behind b → b waits for repo:l1 behind a", cycle.Describe());
    }

    [Fact]
    public void Three_owners_in_a_ring_are_a_deadlock_with_one_victim()
    {
        var cycles = Find([
            Wait("a", "env:2", "b", sinceSeconds: 3),
            Wait("b", "env:3", "c", sinceSeconds: 9),
            Wait("c", "env:1", "a", sinceSeconds: 4),
        ]);

        var cycle = Assert.Single(cycles);
        Assert.Equal(["a", "b", "c"], cycle.Waits.Select(w => w.Owner));
        Assert.Equal("b", cycle.Victim.Owner);
    }

    [Fact]
    public void A_ring_of_five_is_found_too()
    {
        var owners = new[] { "p", "q", "r", "s", "t" };
        var waits = owners.Select((o, i) => Wait(o, $"res:{i}", owners[(i + 1) % owners.Length], sinceSeconds: i));

        var cycle = Assert.Single(Find(waits));

        Assert.Equal(5, cycle.Waits.Count);
        Assert.Equal("t", cycle.Victim.Owner);
    }

    [Fact]
    public void A_chain_of_waits_is_not_a_deadlock()
    {
        Assert.Empty(Find([
            Wait("a", "repo:1", "b"),
            Wait("b", "repo:2", "c"),
            Wait("c", "repo:3", "d"),
            Wait("x", "repo:3", "d"),
            Wait("d", "repo:4", "nobody-waiting"),
        ]));
    }

    [Fact]
    public void Owners_blocked_by_the_same_holder_are_not_a_deadlock()
    {
        Assert.Empty(Find([
            Wait("a", "repo:1", "h"),
            Wait("b", "repo:1", "h,a"),
            Wait("c", "repo:1", "h,a,b"),
        ]));
    }

    [Fact]
    public void Disjoint_cycles_are_each_reported_with_their_own_victim()
    {
        var cycles = Find([
            Wait("a", "k:1", "b", sinceSeconds: 1),
            Wait("b", "k:2", "a", sinceSeconds: 2),
            Wait("m", "k:3", "n", sinceSeconds: 7),
            Wait("n", "k:4", "o", sinceSeconds: 3),
            Wait("o", "k:5", "m", sinceSeconds: 5),
            Wait("z", "k:6", "a", sinceSeconds: 9),
        ]);

        Assert.Equal(2, cycles.Count);
        Assert.Equal(["b", "m"], cycles.Select(c => c.Victim.Owner).Order());
        Assert.All(cycles, c => Assert.Contains(c.Victim, c.Waits));
        Assert.DoesNotContain(cycles, c => c.Waits.Any(w => w.Owner == "z"));
    }

    [Fact]
    public void Overlapping_cycles_broken_by_one_victim_need_no_second_victim()
    {
        // a ↔ b and a ↔ c share a; ending a's one wait (behind b and c) breaks both.
        var cycles = Find([
            Wait("a", "k:bc", "b,c", sinceSeconds: 9),
            Wait("b", "k:a1", "a", sinceSeconds: 1),
            Wait("c", "k:a2", "a", sinceSeconds: 2),
        ]);

        var cycle = Assert.Single(cycles);
        Assert.Equal("a", cycle.Victim.Owner);
    }

    [Fact]
    public void Lowest_priority_policy_picks_the_lowest_priority_wait()
    {
        var waits = new[]
        {
            Wait("a", "k:2", "b", sinceSeconds: 1, priority: 10),
            Wait("b", "k:3", "c", sinceSeconds: 2, priority: 80),
            Wait("c", "k:1", "a", sinceSeconds: 3, priority: 40),
        };

        Assert.Equal("c", Assert.Single(Find(waits)).Victim.Owner);
        Assert.Equal("a", Assert.Single(Find(waits, DeadlockVictimPolicy.LowestPriority)).Victim.Owner);
    }

    [Fact]
    public void Ties_are_broken_the_same_way_whatever_the_input_order()
    {
        var waits = new[]
        {
            Wait("c", "k:1", "a", sinceSeconds: 5, priority: 10),
            Wait("a", "k:2", "b", sinceSeconds: 5, priority: 10),
            Wait("b", "k:3", "c", sinceSeconds: 5, priority: 10),
            Wait("x", "k:4", "y", sinceSeconds: 5, priority: 10),
            Wait("y", "k:5", "x", sinceSeconds: 5, priority: 10),
        };
        var expected = Find(waits).Select(c => (c.Victim.RequestId, string.Join(",", c.Waits.Select(w => w.RequestId)))).ToList();
        var random = new Random(7);

        for (var i = 0; i < 20; i++)
        {
            var shuffled = waits.OrderBy(_ => random.Next()).ToList();
            var actual = Find(shuffled).Select(c => (c.Victim.RequestId, string.Join(",", c.Waits.Select(w => w.RequestId)))).ToList();
            Assert.Equal(expected, actual);
        }

        Assert.Equal(["a->k:2", "x->k:4"], expected.Select(e => e.RequestId));
    }

    [Fact]
    public void An_owner_waiting_behind_itself_is_a_cycle_of_one()
    {
        var cycle = Assert.Single(Find([Wait("a", "k:1", "a")]));

        Assert.Equal("a", cycle.Victim.Owner);
        Assert.Single(cycle.Waits);
    }

    [Fact]
    public void Deadlock_across_two_lock_tables_ends_the_victims_wait_and_leaves_the_other_waiting()
    {
        var l1 = new LockScenario("repo:one");
        var l2 = new LockScenario("repo:two");
        l1.Hold("a");
        l2.Hold("b");
        l2.Clock.Advance(TimeSpan.FromSeconds(1));   // a starts waiting at +1 s
        l1.Clock.Advance(TimeSpan.FromSeconds(4));   // b starts waiting at +4 s
        l2.Acquire("a", maxWaitSeconds: 120, requestId: "a-wants-two");
        l1.Acquire("b", maxWaitSeconds: 120, requestId: "b-wants-one");
        l1.Table.TakeEvents();

        var cycle = Assert.Single(new WaitForGraph(l1.Table.Waits().Concat(l2.Table.Waits())).FindDeadlocks(l1.Now));
        Assert.Equal("b-wants-one", cycle.Victim.RequestId);   // b started waiting last
        Assert.False(l2.Table.ResolveDeadlock(cycle, l2.Now));   // the victim does not wait on repo:two
        Assert.True(l1.Table.ResolveDeadlock(cycle, l1.Now));

        var outcome = l1.Table.StatusOf("b-wants-one", l1.Now)!;
        Assert.Equal(LockOutcome.Deadlock, outcome.Outcome);
        Assert.Contains("b waits for repo:one behind a", outcome.Detail);
        var detected = Assert.Single(l1.Events<LockDeadlockDetected>());
        Assert.Equal(("repo:one", "b", "b-wants-one", "lock.deadlock_detected"), (detected.Key, detected.Owner, detected.RequestId, detected.Type));
        Assert.Equal(2, detected.Cycle.Waits.Count);
        Assert.Equal(["a"], l2.QueueOwners());
        Assert.Empty(l1.QueueOwners());
    }

    [Fact]
    public void A_shared_waiter_behind_a_queued_exclusive_waits_for_that_waiters_owner()
    {
        var @lock = new LockScenario();
        @lock.Hold("reader", LockMode.Shared);
        @lock.Acquire("writer", LockMode.Exclusive, maxWaitSeconds: 60);
        @lock.Acquire("late-reader", LockMode.Shared, maxWaitSeconds: 60);

        var waits = @lock.Table.Waits();

        Assert.Equal(["reader"], waits.Single(w => w.Owner == "writer").BlockedBy);
        Assert.Equal(["writer"], waits.Single(w => w.Owner == "late-reader").BlockedBy);
    }
}
