using System.Diagnostics;
using Baton.Contracts;
using Baton.Contracts.Locks;
using Baton.Tests.Events;
using Baton.Tests.Grains;

namespace Baton.Tests.Locks;

/// <summary>Owners waiting on each other across locks in a dev cluster: found within 5 s, exactly one victim, the others go on.</summary>
[Collection(LockClusterCollection.Name)]
public sealed class LockDeadlockGrainTests(LockCluster cluster)
{
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(5);

    [Fact]
    public Task Cycle_of_two_is_broken_within_5_s_with_the_youngest_wait_as_the_victim() => BreaksCycle(2);

    [Fact]
    public Task Cycle_of_three_is_broken_within_5_s_with_the_youngest_wait_as_the_victim() => BreaksCycle(3);

    /// <summary>
    /// Owner i holds lock i and then waits for lock i+1 (the last for lock 0), in order, so the last wait closes
    /// the ring and is the youngest: it must be the one victim. Then the victim lets go of what it holds and
    /// every other wait is granted in turn.
    /// </summary>
    private async Task BreaksCycle(int size)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var owners = Enumerable.Range(0, size).Select(i => $"agent{i}-{run}").ToList();
        var keys = Enumerable.Range(0, size).Select(i => $"deadlock:{run}-{i}").ToList();
        var leases = new List<LockLease>();
        for (var i = 0; i < size; i++)
        {
            leases.Add(await cluster.Lock(keys[i]).Hold(owners[i]));
        }

        var waits = new List<Task<AcquireOutcome>>();
        var watch = new Stopwatch();
        for (var i = 0; i < size; i++)
        {
            var next = cluster.Lock(keys[(i + 1) % size]);
            if (i == size - 1)
            {
                watch.Start();
            }

            var wait = next.Acquire(Requests.For(owners[i], maxWaitSeconds: 60));
            waits.Add(wait);

            // The wait that closes the ring may be ended as the victim before a poll sees it queued.
            var queued = await Poll.Until(() => next.Describe(), d => d.Queue.Count == 1 || wait.IsCompleted);
            Assert.True(queued.Queue.Count == 1 || wait.IsCompleted, $"{owners[i]} never queued for {keys[(i + 1) % size]}");
        }

        var first = await Task.WhenAny(waits).WaitAsync(TimeSpan.FromSeconds(20));
        var detectedAfter = watch.Elapsed;
        var victimIndex = waits.IndexOf(first);
        var victimOutcome = await first;
        await Task.Delay(500);
        var othersStillWaiting = waits.Where(w => w != first).All(w => !w.IsCompleted);

        // The victim lets go; the ring unwinds backwards: each owner gets its lock, then releases what it holds.
        await cluster.Lock(keys[victimIndex]).Release(leases[victimIndex].LeaseId, owners[victimIndex], "deadlock victim");
        for (var step = 1; step < size; step++)
        {
            var i = (victimIndex - step + size) % size;
            var granted = await waits[i].WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(LockOutcome.Acquired, granted.Outcome);
            await cluster.Lock(keys[i]).Release(leases[i].LeaseId, owners[i], null);
            await cluster.Lock(keys[(i + 1) % size]).Release(granted.Lease!.LeaseId, owners[i], null);
        }

        Assert.Equal(size - 1, victimIndex);
        Assert.Equal(LockOutcome.Deadlock, victimOutcome.Outcome);
        Assert.True(detectedAfter < DetectionBound, $"the deadlock was broken after {detectedAfter}");
        Assert.True(othersStillWaiting, "more than one wait of the cycle ended");
        Assert.Contains(owners[0], victimOutcome.Detail);

        var recent = await cluster.Grains.GetGrain<IDeadlockDetectorGrain>(IDeadlockDetectorGrain.ClusterKey).GetRecentDeadlocks();
        var cycle = Assert.Single(recent, c => c.Waits.Any(w => owners.Contains(w.Owner)));
        Assert.Equal(owners.Order(), cycle.Waits.Select(w => w.Owner).Order());
        Assert.Equal(owners[victimIndex], cycle.Victim.Owner);
        Assert.Equal(keys[0], cycle.Victim.Key);

        var victimLock = keys[0];
        var envelopes = await Poll.Until(
            () => cluster.Grains.GetGrain<ILockEventRecorderGrain>(victimLock).Received(),
            r => r.Any(e => e.Type == LockEventTypes.DeadlockDetected));
        var detected = Assert.IsType<LockDeadlockDetected>(EventPayload.Read<LockEvent>(envelopes.Single(e => e.Type == LockEventTypes.DeadlockDetected)));
        Assert.Equal(owners[victimIndex], detected.Owner);
        Assert.Equal(size, detected.Cycle.Waits.Count);
    }
}
