using Baton.Contracts;
using Baton.Grains.Locks;
using Baton.Grains.Owners;
using Baton.Postgres;
using Baton.Postgres.Locks;
using Baton.Postgres.Storage;
using Baton.Tests.Infrastructure;
using Baton.Tests.Locks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;

namespace Baton.Tests.Postgres;

/// <summary>
/// The Postgres grain storage writes a group of concurrent state writes in one transaction (group commit). Within it
/// each write passes or fails on its own: a stale or conflicting write changes nothing, and neither its events nor its
/// side rows are written, while the writes beside it are stored with theirs, events in write order.
/// </summary>
[Collection("postgres")]
public sealed class GroupWriteTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Writes_of_one_group_pass_or_fail_each_with_their_own_events_and_side_rows()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
        await using var index = new PostgresLockOwnerIndex(database, "svc");
        await using var storage = Storage(database, index);
        await using var other = Storage(database, index);

        // Stored before the group, each held by one owner; "stale" is written twice, and a copy keeps its first etag.
        var gate = await WrittenAsync(storage, "gate", "g0");
        var held = await WrittenAsync(storage, "held", "alice");
        var stale = await WrittenAsync(storage, "stale", "bob");
        await WrittenAsync(storage, "taken", "dave");
        var staleEtag = stale.ETag;
        Release(stale, "bob");
        Grant(stale, "stale", "bob-again");
        await storage.WriteStateAsync("lock", Grain("stale"), stale);
        Release(stale, "bob-again");
        stale.ETag = staleEtag;

        // A row lock held elsewhere stalls the storage's writer on "gate", so that the writes issued meanwhile queue
        // up and go out together as the next group.
        await using var blocker = new NpgsqlConnection(database);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await ExecuteAsync(blocker, "SELECT 1 FROM baton_grain_state WHERE grain_id = $1 FOR UPDATE", Grain("gate").ToString());
        Release(gate, "g0");
        Grant(gate, "gate", "gatekeeper");
        var stalled = storage.WriteStateAsync("lock", Grain("gate"), gate);
        await Task.Delay(300);

        Release(held, "alice");
        var releasing = storage.WriteStateAsync("lock", Grain("held"), held);
        Grant(stale, "stale", "mallory");
        var stalest = storage.WriteStateAsync("lock", Grain("stale"), stale);
        var fresh = Unread(await ReadAsync(storage, "fresh"));
        Grant(fresh, "fresh", "carol");
        var inserting = storage.WriteStateAsync("lock", Grain("fresh"), fresh);
        var guess = Unread(await ReadAsync(other, "taken"));
        Grant(guess, "taken", "eve");
        var guessing = storage.WriteStateAsync("lock", Grain("taken"), guess);
        await hold.CommitAsync();

        await stalled;
        await releasing;
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => stalest);
        await inserting;
        await Assert.ThrowsAsync<InconsistentStateException>(() => guessing);

        Assert.Contains("changed by another writer", conflict.Message);
        Assert.Equal("2", gate.ETag);
        Assert.Equal("2", held.ETag);
        Assert.Equal("1", fresh.ETag);
        Assert.Equal(["g0", "gatekeeper"], await StringsAsync(database, "SELECT actor FROM baton_event_log WHERE subject = $1 AND type = 'lock.acquired' ORDER BY position", Key("gate")));
        Assert.Equal(["alice", "alice"], await StringsAsync(database, "SELECT actor FROM baton_event_log WHERE subject = $1 ORDER BY position", Key("held")));
        Assert.Equal(["bob", "bob", "bob-again"], await StringsAsync(database, "SELECT actor FROM baton_event_log WHERE subject = $1 ORDER BY position", Key("stale")));
        Assert.Equal(["carol"], await StringsAsync(database, "SELECT actor FROM baton_event_log WHERE subject = $1", Key("fresh")));
        Assert.Equal(["dave"], await StringsAsync(database, "SELECT actor FROM baton_event_log WHERE subject = $1", Key("taken")));
        Assert.Empty(await StringsAsync(database, "SELECT actor FROM baton_event_log WHERE actor IN ('mallory', 'eve')", "-"));
        Assert.Equal(["gatekeeper"], await StringsAsync(database, "SELECT owner FROM baton_lock_owner_index WHERE lock_key = $1", Key("gate")));
        Assert.Empty(await StringsAsync(database, "SELECT owner FROM baton_lock_owner_index WHERE lock_key = $1", Key("held")));
        Assert.Equal(["bob-again"], await StringsAsync(database, "SELECT owner FROM baton_lock_owner_index WHERE lock_key = $1", Key("stale")));
        Assert.Equal(["carol"], await StringsAsync(database, "SELECT owner FROM baton_lock_owner_index WHERE lock_key = $1", Key("fresh")));
        Assert.Equal(["dave"], await StringsAsync(database, "SELECT owner FROM baton_lock_owner_index WHERE lock_key = $1", Key("taken")));
    }

    [Fact]
    public async Task A_group_of_first_writes_and_updates_stores_every_state_with_its_events_in_write_order()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
        await using var index = new PostgresLockOwnerIndex(database, "svc");
        await using var storage = Storage(database, index);
        var names = Enumerable.Range(0, 40).Select(i => $"many-{i:D2}").ToList();
        var states = new List<GrainState<LockGrainState>>();
        foreach (var name in names.Take(20))
        {
            states.Add(await WrittenAsync(storage, name, "first"));
        }

        foreach (var name in names.Skip(20))
        {
            states.Add(Unread(await ReadAsync(storage, name)));
        }

        // Issued together: 20 updates of stored states and 20 first writes, each with one event and one index row.
        var writes = new List<Task>();
        for (var i = 0; i < names.Count; i++)
        {
            if (i < 20)
            {
                Release(states[i], "first");
            }

            Grant(states[i], names[i], $"owner-{i:D2}");
            writes.Add(storage.WriteStateAsync("lock", Grain(names[i]), states[i]));
        }

        await Task.WhenAll(writes);

        Assert.All(states.Take(20), s => Assert.Equal("2", s.ETag));
        Assert.All(states.Skip(20), s => Assert.Equal("1", s.ETag));
        Assert.Equal(
            [.. Enumerable.Range(0, 40).Select(i => $"owner-{i:D2}")],
            await StringsAsync(database, "SELECT actor FROM baton_event_log WHERE actor LIKE $1 ORDER BY position", "owner-%"));
        Assert.Equal(
            [.. Enumerable.Range(0, 40).Select(i => $"owner-{i:D2}")],
            await StringsAsync(database, "SELECT owner FROM baton_lock_owner_index WHERE owner LIKE $1 ORDER BY owner", "owner-%"));
        Assert.Empty(await StringsAsync(database, "SELECT owner FROM baton_lock_owner_index WHERE owner = $1", "first"));
    }

    private static string Key(string name) => $"res:{name}";

    private static GrainId Grain(string name) => GrainId.Create("lock", Key(name));

    private static async Task<GrainState<LockGrainState>> ReadAsync(PostgresGrainStorage storage, string name)
    {
        var state = new GrainState<LockGrainState>(new LockGrainState());
        await storage.ReadStateAsync("lock", Grain(name), state);
        return state;
    }

    private static GrainState<LockGrainState> Unread(GrainState<LockGrainState> state)
    {
        Assert.Equal(Baton.Grains.Common.StateReads.Unread, state.ETag);
        return state;
    }

    /// <summary>A lock stored with one holder (a first write with its event and index row).</summary>
    private static async Task<GrainState<LockGrainState>> WrittenAsync(PostgresGrainStorage storage, string name, string owner)
    {
        var state = await ReadAsync(storage, name);
        Grant(state, name, owner);
        await storage.WriteStateAsync("lock", Grain(name), state);
        return state;
    }

    /// <summary>Grants <paramref name="owner"/> the lock, with a <c>lock.acquired</c> event and the lock's index rows.</summary>
    private static void Grant(GrainState<LockGrainState> state, string name, string owner)
    {
        var table = new LockTable(Key(name), state.State!.Lock);
        Assert.NotNull(table.Acquire(Requests.For(owner), DateTimeOffset.UtcNow).Lease);
        table.TakeEvents();
        state.State.Outbox.Append(EventNamespaces.Locks, "lock.acquired", table.Key, owner, "{}", DateTimeOffset.UtcNow);
        state.State.SideWrite = LockOwnerRows.Of(table.Key, state.State.Lock);
    }

    /// <summary>Releases <paramref name="owner"/>'s lease, with a <c>lock.released</c> event and the lock's index rows.</summary>
    private static void Release(GrainState<LockGrainState> state, string owner)
    {
        var lease = Assert.Single(state.State!.Lock.Holders).Lease;
        Assert.Equal(owner, lease.Owner);
        var table = new LockTable(lease.Key, state.State.Lock);
        Assert.True(table.Release(lease.LeaseId, owner, null, DateTimeOffset.UtcNow));
        table.TakeEvents();
        state.State.Outbox.Append(EventNamespaces.Locks, "lock.released", table.Key, owner, "{}", DateTimeOffset.UtcNow);
        state.State.SideWrite = LockOwnerRows.Of(table.Key, state.State.Lock);
    }

    private static PostgresGrainStorage Storage(string database, PostgresLockOwnerIndex index) => TestGrainStorage.Create(database, index);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, string value)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> StringsAsync(string database, string sql, string value)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (sql.Contains("$1", StringComparison.Ordinal))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
        }

        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
