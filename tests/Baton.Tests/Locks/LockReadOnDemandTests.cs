using Baton.Contracts;
using Baton.Contracts.Locks;
using Baton.Grains.Common;
using Baton.Grains.Locks;
using Baton.Postgres;
using Baton.Postgres.Storage;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;

namespace Baton.Tests.Locks;

/// <summary>
/// Postgres mode reads a lock's state on demand (<see cref="IReadOnDemand"/>): an activation does not read a row the
/// silo has not seen, an Acquire decides as if nothing were stored and writes that as a first write, and the write
/// fails, changing nothing, when a row exists after all; then the lock reads and decides again.
/// </summary>
[Collection("postgres")]
public sealed class LockReadOnDemandTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Storage_skips_the_read_of_an_unseen_row_refuses_a_first_write_over_it_and_reads_it_when_asked()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
        var grain = GrainId.Create("lock", Requests.Key("on-demand"));
        await using var writer = Storage(database);
        await using var other = Storage(database);

        // The first silo writes the lock (a first write, its read skipped): one lease, token 1.
        var first = new GrainState<LockGrainState>(new LockGrainState());
        await writer.ReadStateAsync("lock", grain, first);
        var firstEtag = first.ETag;
        Hold(first.State!, "alice", token: 1);
        await writer.WriteStateAsync("lock", grain, first);

        // Another silo's storage has never seen the row: it does not read it, and says so.
        var unseen = new GrainState<LockGrainState>(new LockGrainState());
        await other.ReadStateAsync("lock", grain, unseen);
        var unseenEtag = unseen.ETag;
        var unseenHolders = unseen.State!.Lock.Holders.Count;

        // A first write over the stored row fails and writes nothing, not its event either.
        Hold(unseen.State!, "bob", token: 1);
        unseen.State!.Outbox.Append(EventNamespaces.Locks, "lock.acquired", "res:on-demand", "bob", "{\"owner\":\"bob\"}", DateTimeOffset.UtcNow);
        await Assert.ThrowsAsync<InconsistentStateException>(() => other.WriteStateAsync("lock", grain, unseen));

        // Asked to read, it reads what is stored; the storage that wrote the row hands over what it wrote, unread.
        unseen.State.ReadRequested = true;
        await other.ReadStateAsync("lock", grain, unseen);
        var known = new GrainState<LockGrainState>(new LockGrainState());
        await writer.ReadStateAsync("lock", grain, known);

        Assert.Equal(StateReads.Unread, firstEtag);
        Assert.Equal("1", first.ETag);
        Assert.Equal(StateReads.Unread, unseenEtag);
        Assert.Equal(0, unseenHolders);
        Assert.Equal("1", unseen.ETag);
        Assert.Equal("alice", Assert.Single(unseen.State!.Lock.Holders).Lease.Owner);
        Assert.Equal(StateReads.Remembered(1), known.ETag);
        Assert.True(StateReads.IsUnread(known.ETag));
        Assert.Equal("alice", Assert.Single(known.State!.Lock.Holders).Lease.Owner);
        Assert.Equal(1L, await ScalarAsync(database, "SELECT version FROM baton_grain_state"));
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM baton_event_log WHERE actor = 'bob'"));
    }

    [Fact]
    public async Task A_remembered_state_is_a_guess_its_write_fails_once_another_storage_wrote_the_row_and_a_read_gives_the_truth()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
        var grain = GrainId.Create("lock", Requests.Key("on-demand"));
        await using var first = Storage(database);
        await using var second = Storage(database);

        // The first silo writes version 1 (alice, token 1) and remembers it.
        var written = new GrainState<LockGrainState>(new LockGrainState());
        await first.ReadStateAsync("lock", grain, written);
        Hold(written.State!, "alice", token: 1);
        await first.WriteStateAsync("lock", grain, written);

        // The second silo reads it and writes version 2: alice released, bob holds with token 2.
        var moved = new GrainState<LockGrainState>(new LockGrainState { ReadRequested = true });
        await second.ReadStateAsync("lock", grain, moved);
        new LockTable("res:on-demand", moved.State!.Lock).Release(moved.State.Lock.Holders[0].Lease.LeaseId, "alice", null, DateTimeOffset.UtcNow);
        Hold(moved.State, "bob", token: 2);
        await second.WriteStateAsync("lock", grain, moved);

        // The first silo's guess is its version 1: a write from it fails, with no event and no owner-index row.
        var stale = new GrainState<LockGrainState>(new LockGrainState());
        await first.ReadStateAsync("lock", grain, stale);
        var staleEtag = stale.ETag;
        var staleOwner = stale.State!.Lock.Holders[0].Lease.Owner;
        stale.State.Lock.Holders.Clear();
        Hold(stale.State, "carol", token: 2);
        stale.State.Outbox.Append(EventNamespaces.Locks, "lock.acquired", "res:on-demand", "carol", "{\"owner\":\"carol\"}", DateTimeOffset.UtcNow);
        await Assert.ThrowsAsync<InconsistentStateException>(() => first.WriteStateAsync("lock", grain, stale));

        // After the failed write it guesses nothing (the default, unread); asked to read, it reads version 2.
        var after = new GrainState<LockGrainState>(new LockGrainState());
        await first.ReadStateAsync("lock", grain, after);
        var afterEtag = after.ETag;
        after.State!.ReadRequested = true;
        await first.ReadStateAsync("lock", grain, after);

        // Having read version 2 it remembers version 2, and a write from that guess lands as version 3.
        var current = new GrainState<LockGrainState>(new LockGrainState());
        await first.ReadStateAsync("lock", grain, current);
        var currentEtag = current.ETag;
        new LockTable("res:on-demand", current.State!.Lock).Release(current.State.Lock.Holders[0].Lease.LeaseId, "bob", null, DateTimeOffset.UtcNow);
        await first.WriteStateAsync("lock", grain, current);

        Assert.Equal(StateReads.Remembered(1), staleEtag);
        Assert.Equal("alice", staleOwner);
        Assert.Equal(StateReads.Unread, afterEtag);
        Assert.Equal("2", after.ETag);
        Assert.Equal("bob", Assert.Single(after.State.Lock.Holders).Lease.Owner);
        Assert.Equal(StateReads.Remembered(2), currentEtag);
        Assert.Equal("3", current.ETag);
        Assert.Equal(3L, await ScalarAsync(database, "SELECT version FROM baton_grain_state"));
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM baton_event_log WHERE actor = 'carol'"));
    }

    [Fact]
    public async Task A_requested_read_of_a_missing_row_gives_a_fresh_state_not_the_one_in_memory()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
        await using var storage = Storage(database);
        var state = new GrainState<LockGrainState>(new LockGrainState());
        Hold(state.State!, "alice", token: 1);
        state.State!.ReadRequested = true;

        await storage.ReadStateAsync("lock", GrainId.Create("lock", Requests.Key("missing")), state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Empty(state.State.Lock.Holders);
        Assert.Equal(0, state.State.Lock.LastFencingToken);
    }

    [Fact]
    public async Task Clearing_a_state_that_was_not_read_is_refused_and_deletes_nothing()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
        var grain = GrainId.Create("lock", Requests.Key("on-demand"));
        await using var writer = Storage(database);
        await using var other = Storage(database);
        var stored = new GrainState<LockGrainState>(new LockGrainState());
        await writer.ReadStateAsync("lock", grain, stored);
        Hold(stored.State!, "alice", token: 1);
        await writer.WriteStateAsync("lock", grain, stored);

        var unread = new GrainState<LockGrainState>(new LockGrainState());
        await other.ReadStateAsync("lock", grain, unread);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => other.ClearStateAsync("lock", grain, unread));

        Assert.Contains("was not read", error.Message);
        Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM baton_grain_state"));
    }

    [Fact]
    public async Task Lock_stored_by_an_earlier_cluster_is_read_when_a_guess_finds_its_row_and_its_tokens_go_on()
    {
        var database = await postgres.CreateDatabaseAsync();
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var key = Requests.Key("on-demand");
        LockLease held;
        long releasedToken;
        var earlier = await PostgresCluster.StartAsync(database, silos: 1, serviceId);
        try
        {
            var lockGrain = earlier.Client.GetGrain<ILockGrain>(key);
            var released = await lockGrain.Hold("alice");
            await lockGrain.Release(released.LeaseId, "alice", "done");
            releasedToken = released.FencingToken;
            held = await lockGrain.Hold("alice");
        }
        finally
        {
            await earlier.StopAllSilosAsync();
            await earlier.DisposeAsync();
        }

        // A new cluster: its storage never saw the row, so each first command below starts from an unread lock.
        var later = await PostgresCluster.StartAsync(database, silos: 1, serviceId);
        try
        {
            var lockGrain = later.Client.GetGrain<ILockGrain>(key);
            var refused = await lockGrain.Acquire(Requests.For("bob"));
            await Deactivate(later, lockGrain);
            var heartbeat = await lockGrain.Heartbeat(held.LeaseId, "alice", TimeSpan.FromSeconds(30));
            await lockGrain.Release(held.LeaseId, "alice", "done");
            var next = await lockGrain.Hold("bob");
            var fresh = await later.Client.GetGrain<ILockGrain>(Requests.Key("on-demand-fresh")).Hold("carol");

            Assert.Equal(releasedToken + 1, held.FencingToken);
            Assert.Equal(LockOutcome.Unavailable, refused.Outcome);
            Assert.True(heartbeat.ExpiresAt > held.ExpiresAt);
            Assert.Equal(held.FencingToken + 1, next.FencingToken);
            Assert.Equal(1, fresh.FencingToken);
            // Grants logged: alice's two and bob's last; the guessed grant to bob that met alice's lease left no event.
            Assert.Equal(3L, await ScalarAsync(database, $"SELECT count(*) FROM baton_event_log WHERE subject = '{key}' AND type = 'lock.acquired'"));
            Assert.Equal(1L, await ScalarAsync(database, $"SELECT count(*) FROM baton_event_log WHERE subject = '{key}' AND type = 'lock.acquired' AND actor = 'bob'"));
        }
        finally
        {
            await later.StopAllSilosAsync();
            await later.DisposeAsync();
        }
    }

    private static async Task Deactivate(Orleans.TestingHost.TestCluster cluster, ILockGrain lockGrain)
    {
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await Presence.WaitUntilGone(cluster, lockGrain);
    }

    private static void Hold(LockGrainState state, string owner, long token)
    {
        var table = new LockTable("res:on-demand", state.Lock);
        var outcome = table.Acquire(Requests.For(owner), DateTimeOffset.UtcNow);
        Assert.Equal(token, outcome.Lease!.FencingToken);
        table.TakeEvents();
    }

    private static PostgresGrainStorage Storage(string database) => TestGrainStorage.Create(database);

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
