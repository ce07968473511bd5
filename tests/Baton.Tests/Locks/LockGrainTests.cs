using System.Diagnostics;
using Baton.Contracts;
using Baton.Contracts.Locks;
using Baton.Contracts.Owners;
using Baton.Grains.Locks;
using Baton.Grains.Owners;
using Baton.Tests.Events;
using Baton.Tests.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Baton.Tests.Locks;

/// <summary>The lock grain in a two-silo dev cluster: grants, waits that do not block, errors, events, expiry.</summary>
[Collection(LockClusterCollection.Name)]
public sealed class LockGrainTests(LockCluster cluster)
{
    [Fact]
    public async Task Exclusive_holder_keeps_others_out_until_it_releases()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice");

        var denied = await lockGrain.Acquire(Requests.For("bob"));
        var deniedShared = await lockGrain.Acquire(Requests.For("carol", LockMode.Shared));
        await lockGrain.Release(lease.LeaseId, "alice", "done");
        var granted = await lockGrain.Acquire(Requests.For("bob"));

        Assert.Equal(1, lease.FencingToken);
        Assert.Equal(LockOutcome.Unavailable, denied.Outcome);
        Assert.Contains("alice", denied.Detail);
        Assert.Equal(LockOutcome.Unavailable, deniedShared.Outcome);
        Assert.Equal(LockOutcome.Acquired, granted.Outcome);
        Assert.Equal(2, granted.Lease!.FencingToken);
    }

    [Fact]
    public async Task Shared_holders_share_and_an_exclusive_request_waits_for_all_of_them()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var first = await lockGrain.Hold("alice", LockMode.Shared);
        var second = await lockGrain.Hold("bob", LockMode.Shared);

        var writer = lockGrain.Acquire(Requests.For("carol", maxWaitSeconds: 20));
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);
        await lockGrain.Release(first.LeaseId, "alice", null);
        var stillWaiting = !writer.IsCompleted;
        await lockGrain.Release(second.LeaseId, "bob", null);
        var granted = await writer;

        Assert.Equal([1L, 2L], [first.FencingToken, second.FencingToken]);
        Assert.True(stillWaiting, "the exclusive request was granted while a shared holder remained");
        Assert.Equal(LockOutcome.Acquired, granted.Outcome);
        Assert.Equal(3, granted.Lease!.FencingToken);
    }

    [Fact]
    public async Task Waiter_is_granted_on_release_while_heartbeats_keep_flowing()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice", ttlSeconds: 10);
        var waiting = lockGrain.Acquire(Requests.For("bob", maxWaitSeconds: 30));
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);

        var slowest = TimeSpan.Zero;
        DateTimeOffset expiresAt = default;
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            expiresAt = (await lockGrain.Heartbeat(lease.LeaseId, "alice", TimeSpan.FromSeconds(10))).ExpiresAt;
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
        }

        var describedWhileWaiting = await lockGrain.Describe();
        var waiterBlocked = !waiting.IsCompleted;
        await lockGrain.Release(lease.LeaseId, "alice", "handing over");
        var granted = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(waiterBlocked, "the waiter was answered before the holder released");
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a heartbeat took {slowest} while a waiter waited: the waiter blocks the lock");
        Assert.True(expiresAt > lease.ExpiresAt);
        Assert.Equal("bob", Assert.Single(describedWhileWaiting.Queue).Owner);
        Assert.Equal(LockOutcome.Acquired, granted.Outcome);
        Assert.Equal("bob", granted.Lease!.Owner);
        Assert.Equal(lease.FencingToken + 1, granted.Lease.FencingToken);
    }

    [Fact]
    public async Task Waiter_times_out_after_max_wait_and_leaves_the_queue()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        await lockGrain.Hold("alice");
        var request = Requests.For("bob", maxWaitSeconds: 1);

        var watch = Stopwatch.StartNew();
        var outcome = await lockGrain.Acquire(request);
        var waited = watch.Elapsed;
        var described = await lockGrain.Describe();
        var retried = await lockGrain.Acquire(request);

        Assert.Equal(LockOutcome.TimedOut, outcome.Outcome);
        Assert.InRange(waited, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        Assert.Empty(described.Queue);
        Assert.Equal(LockOutcome.TimedOut, retried.Outcome);
    }

    [Fact]
    public async Task Retrying_a_request_id_returns_the_same_lease_and_joins_the_same_wait()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var request = Requests.For("alice");
        var first = await lockGrain.Acquire(request);
        var again = await lockGrain.Acquire(request);

        var waitRequest = Requests.For("bob", maxWaitSeconds: 30);
        var waiting = lockGrain.Acquire(waitRequest);
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);
        var retryWhileWaiting = lockGrain.Acquire(waitRequest);
        var status = await lockGrain.RequestStatus(waitRequest.RequestId);
        await lockGrain.Release(first.Lease!.LeaseId, "alice", null);
        var outcomes = await Task.WhenAll(waiting, retryWhileWaiting).WaitAsync(TimeSpan.FromSeconds(10));
        var described = await lockGrain.Describe();

        Assert.Equal(first.Lease, again.Lease);
        Assert.Equal(LockOutcome.Queued, status!.Outcome);
        Assert.Equal(1, status.QueuePosition);
        Assert.All(outcomes, o => Assert.Equal(LockOutcome.Acquired, o.Outcome));
        Assert.Equal(outcomes[0].Lease, outcomes[1].Lease);
        Assert.Single(described.Holders);
        Assert.Equal(2, described.LastFencingToken);
    }

    [Fact]
    public async Task Only_the_holder_heartbeats_or_releases_and_bad_input_names_the_rule()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice");

        var heartbeat = await Assert.ThrowsAsync<NotLockHolderException>(() => lockGrain.Heartbeat(lease.LeaseId, "mallory", TimeSpan.FromSeconds(30)));
        var release = await Assert.ThrowsAsync<NotLockHolderException>(() => lockGrain.Release(lease.LeaseId, "mallory", null));
        var unknown = await Assert.ThrowsAsync<LeaseNotFoundException>(() => lockGrain.Heartbeat("nope#9.abc", "alice", TimeSpan.FromSeconds(30)));
        var ttl = await Assert.ThrowsAsync<LockRequestException>(() => lockGrain.Acquire(Requests.For("bob", ttlSeconds: 1)));
        var key = await Assert.ThrowsAsync<LockRequestException>(() => cluster.Lock("no key with spaces").Acquire(Requests.For("bob")));
        var stillHeld = await lockGrain.IsCurrent(lease.FencingToken);

        await lockGrain.Release(lease.LeaseId, "alice", null);
        await lockGrain.Release(lease.LeaseId, "alice", null);
        var afterRelease = await Assert.ThrowsAsync<LeaseNotFoundException>(() => lockGrain.Heartbeat(lease.LeaseId, "alice", TimeSpan.FromSeconds(30)));

        Assert.Equal("mallory", heartbeat.Caller);
        Assert.Equal(lease.LeaseId, release.LeaseId);
        Assert.Null(unknown.EndedAs);
        Assert.Equal("Ttl", ttl.Field);
        Assert.Equal("Key", key.Field);
        Assert.Contains("whitespace", key.Rule);
        Assert.True(stillHeld);
        Assert.Equal(LeaseEndKind.Released, afterRelease.EndedAs);
        Assert.False(await lockGrain.IsCurrent(lease.FencingToken));
    }

    [Fact]
    public async Task Grants_queueing_releases_and_forced_releases_are_published_with_key_owner_and_token()
    {
        var key = Requests.Key();
        var lockGrain = cluster.Lock(key);
        var lease = await lockGrain.Hold("alice");
        var waiting = lockGrain.Acquire(Requests.For("bob", maxWaitSeconds: 30));
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);
        await lockGrain.Release(lease.LeaseId, "alice", "done");
        var bob = (await waiting).Lease!;
        await lockGrain.ForceRelease(bob.LeaseId, "admin-ann", "stuck agent");

        var envelopes = await Poll.Until(
            () => cluster.Grains.GetGrain<ILockEventRecorderGrain>(key).Received(),
            r => r.Count >= 5);
        var events = envelopes.Select(e => (Envelope: e, Event: EventPayload.Read<LockEvent>(e)!)).ToList();

        Assert.Equal(
            [LockEventTypes.Acquired, LockEventTypes.Queued, LockEventTypes.Released, LockEventTypes.Acquired, LockEventTypes.ForceReleased],
            events.Select(e => e.Envelope.Type));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], events.Select(e => e.Envelope.Sequence));
        Assert.All(events, e => Assert.Equal(key, e.Envelope.Subject));
        Assert.All(events, e => Assert.Equal(key, e.Event.Key));
        Assert.Equal(["alice", "bob", "alice", "bob", "bob"], events.Select(e => e.Event.Owner));
        Assert.Equal([1L, null, 1L, 2L, 2L], events.Select(e => e.Event.FencingToken));
        var forced = Assert.IsType<LockForceReleased>(events[4].Event);
        Assert.Equal("admin-ann", forced.Admin);
        Assert.Equal("stuck agent", forced.Reason);
        Assert.Equal("admin-ann", events[4].Envelope.Actor);
        Assert.Equal(bob, Assert.IsType<LockAcquired>(events[3].Event).Lease);
    }

    [Fact]
    public async Task Unheartbeated_lease_expires_on_the_timer_and_the_waiter_is_granted_at_once()
    {
        var key = Requests.Key();
        var lockGrain = cluster.Lock(key);
        var lease = await lockGrain.Hold("alice", ttlSeconds: 5);

        var granted = await lockGrain.Acquire(Requests.For("bob", maxWaitSeconds: 20)).WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(LockOutcome.Acquired, granted.Outcome);
        Assert.InRange(granted.Lease!.AcquiredAt - lease.ExpiresAt, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.False(await lockGrain.IsCurrent(lease.FencingToken));
        var ended = (await lockGrain.Describe()).RecentlyEnded.Single(e => e.LeaseId == lease.LeaseId);
        Assert.Equal(LeaseEndKind.Expired, ended.Kind);
        var envelopes = await Poll.Until(
            () => cluster.Grains.GetGrain<ILockEventRecorderGrain>(key).Received(),
            r => r.Any(e => e.Type == LockEventTypes.Expired));
        var expired = Assert.IsType<LockExpired>(EventPayload.Read<LockEvent>(envelopes.Single(e => e.Type == LockEventTypes.Expired)));
        Assert.Equal(("alice", (long?)lease.FencingToken), (expired.Owner, expired.FencingToken));
    }

    [Fact]
    public async Task Fencing_tokens_keep_growing_across_deactivation()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        for (var i = 0; i < 3; i++)
        {
            var lease = await lockGrain.Hold("alice");
            await lockGrain.Release(lease.LeaseId, "alice", null);
        }

        var management = cluster.Grains.GetGrain<IManagementGrain>(0);
        var before = await management.GetTotalActivationCount();
        await management.ForceActivationCollection(TimeSpan.Zero);
        var after = await management.GetTotalActivationCount();
        var next = await lockGrain.Hold("bob");

        Assert.True(after < before, "no activation was collected");
        Assert.Equal(4, next.FencingToken);
        Assert.Equal(4, (await lockGrain.Describe()).LastFencingToken);
    }

    [Fact]
    public async Task Expiry_reminder_is_kept_while_the_lock_is_held_and_dropped_once_it_is_idle()
    {
        var lockGrain = cluster.Lock(Requests.Key());
        var lease = await lockGrain.Hold("alice");
        var silo = Assert.IsType<InProcessSiloHandle>(cluster.Cluster.Primary).SiloHost;
        var reminders = silo.Services.GetRequiredService<IReminderTable>();
        var grainId = lockGrain.GetGrainId();

        var whileHeld = await reminders.ReadRows(grainId);
        await lockGrain.Release(lease.LeaseId, "alice", null);
        var afterIdle = await Poll.Until(() => reminders.ReadRows(grainId), rows => rows.Reminders.Count == 0, TimeSpan.FromSeconds(15));

        Assert.Contains(whileHeld.Reminders, r => r.ReminderName == LockGrain.ReminderName);
        Assert.Empty(afterIdle.Reminders);
    }

    [Fact]
    public async Task Owner_index_lists_held_and_awaited_locks_from_the_stream()
    {
        var owner = "indexed-" + Guid.NewGuid().ToString("N")[..8];
        var held = cluster.Lock(Requests.Key("repo"));
        var contended = cluster.Lock(Requests.Key("env"));
        var lease = await held.Hold(owner);
        var other = await contended.Hold("someone-else");
        var waitRequest = Requests.For(owner, maxWaitSeconds: 30);
        var waiting = contended.Acquire(waitRequest);

        var index = cluster.Grains.GetGrain<IOwnerGrain>(owner);
        var listed = await Poll.Until(() => index.GetLocks(), l => l.Held.Count == 1 && l.Waiting.Count == 1);
        await contended.Release(other.LeaseId, "someone-else", null);
        var second = (await waiting).Lease!;
        var afterGrant = await Poll.Until(() => index.GetLocks(), l => l.Held.Count == 2 && l.Waiting.Count == 0);
        await held.Release(lease.LeaseId, owner, null);
        await contended.Release(second.LeaseId, owner, null);
        var afterRelease = await Poll.Until(() => index.GetLocks(), l => l.Held.Count == 0);

        Assert.Equal(lease, Assert.Single(listed.Held));
        Assert.Equal(waitRequest.RequestId, Assert.Single(listed.Waiting).RequestId);
        Assert.Contains(second, afterGrant.Held);
        Assert.Empty(afterRelease.Held);
        Assert.Empty(afterRelease.Waiting);
    }

    [Fact]
    public async Task Owner_index_drops_repeated_events()
    {
        var owner = "repeat-" + Guid.NewGuid().ToString("N")[..8];
        var key = Requests.Key();
        var lease = new LockLease { LeaseId = LockLeaseId.Create(key, 7, "abc"), Key = key, Owner = owner, FencingToken = 7 };
        var acquired = Envelope(key, 1, new LockAcquired { Key = key, Owner = owner, FencingToken = 7, Lease = lease });
        var released = Envelope(key, 2, new LockReleased { Key = key, Owner = owner, FencingToken = 7, LeaseId = lease.LeaseId });
        var feed = cluster.Grains.GetGrain<IOwnerIndexGrain>(owner);

        await feed.Apply(acquired);
        await feed.Apply(released);
        await feed.Apply(acquired);
        var locks = await cluster.Grains.GetGrain<IOwnerGrain>(owner).GetLocks();

        Assert.Empty(locks.Held);
        Assert.NotNull(LockEventPayload.Read(acquired, NullLogger.Instance));
    }

    [Fact]
    public async Task Owner_index_forgets_watermarks_of_long_idle_keys_but_keeps_those_of_held_ones()
    {
        var owner = "many-" + Guid.NewGuid().ToString("N")[..8];
        var feed = cluster.Grains.GetGrain<IOwnerIndexGrain>(owner);
        LockLease Lease(string key) => new() { LeaseId = LockLeaseId.Create(key, 1, "abc"), Key = key, Owner = owner, FencingToken = 1 };
        EventEnvelope Acquired(string key) => Envelope(key, 1, new LockAcquired { Key = key, Owner = owner, FencingToken = 1, Lease = Lease(key) });

        var held = Requests.Key();
        await feed.Apply(Acquired(held));
        var keys = Enumerable.Range(0, OwnerIndexState.IdleWatermarks + 100).Select(_ => Requests.Key()).ToList();
        foreach (var key in keys)
        {
            await feed.Apply(Acquired(key));
            await feed.Apply(Envelope(key, 2, new LockReleased { Key = key, Owner = owner, FencingToken = 1, LeaseId = Lease(key).LeaseId }));
        }

        var silo = Assert.IsType<InProcessSiloHandle>(cluster.Cluster.Primary).SiloHost;
        var stored = new GrainState<OwnerIndexState>(new OwnerIndexState());
        await silo.Services.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>("baton").ReadStateAsync("owner", feed.GetGrainId(), stored);

        // Bounded: the held key and the most recently idle ones keep their watermark.
        var watermarks = Assert.IsType<OwnerIndexState>(stored.State).Watermarks.Last;
        Assert.Equal(OwnerIndexState.IdleWatermarks + 1, watermarks.Count);
        Assert.Contains(held, watermarks.Keys);
        Assert.Contains(keys[^1], watermarks.Keys);
        Assert.DoesNotContain(keys[0], watermarks.Keys);

        // A late repeat of a recently released key's grant changes nothing.
        await feed.Apply(Acquired(keys[^1]));
        var locks = await cluster.Grains.GetGrain<IOwnerGrain>(owner).GetLocks();
        Assert.Equal([held], locks.Held.Select(l => l.Key));
    }

    [Fact]
    public async Task Owner_index_acknowledges_concurrent_events_only_once_a_write_holds_them()
    {
        var owner = "burst-" + Guid.NewGuid().ToString("N")[..8];
        var feed = cluster.Grains.GetGrain<IOwnerIndexGrain>(owner);
        var events = Enumerable.Range(0, 40).Select(i =>
        {
            var key = Requests.Key();
            var lease = new LockLease { LeaseId = LockLeaseId.Create(key, 1, "abc"), Key = key, Owner = owner, FencingToken = 1 };
            return Envelope(key, 1, new LockAcquired { Key = key, Owner = owner, FencingToken = 1, Lease = lease });
        }).ToList();

        // Arrive together (as from many locks' routers): later ones are covered by a shared write, and each call
        // completes only after a write that includes it, so storage holds every one once all have completed.
        await Task.WhenAll(events.Select(e => feed.Apply(e)).Append(feed.Apply(events[0])));
        var silo = Assert.IsType<InProcessSiloHandle>(cluster.Cluster.Primary).SiloHost;
        var storage = silo.Services.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>("baton");
        var stored = new GrainState<OwnerIndexState>(new OwnerIndexState());
        await storage.ReadStateAsync("owner", feed.GetGrainId(), stored);

        Assert.Equal(40, Assert.IsType<OwnerIndexState>(stored.State).Held.Count);
        Assert.Equal(40, (await cluster.Grains.GetGrain<IOwnerGrain>(owner).GetLocks()).Held.Count);
    }

    private static EventEnvelope Envelope(string key, long sequence, LockEvent e) =>
        new(Guid.NewGuid().ToString(), e.Type, key, sequence, DateTimeOffset.UtcNow, e.Owner, EventPayload.From<LockEvent>(e));
}
