using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using Baton.Postgres;
using Baton.Postgres.Entities;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using static Baton.Tests.Entities.EntityScenario;

namespace Baton.Tests.Entities;

/// <summary>
/// The PostgreSQL history store on a migrated database, driven the way the entity grain drives it: decide, append the
/// record, then (or not) write the state. What a reader sees follows the persisted state only.
/// </summary>
[Collection("postgres")]
public sealed class PostgresEntityHistoryStoreTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Key = "deployment/web";

    private string _database = null!;
    private PostgresEntityHistoryStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(_database, NullLogger.Instance);
        _store = new PostgresEntityHistoryStore(_database, NullLogger<PostgresEntityHistoryStore>.Instance);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Transitions_and_answers_of_a_version_whose_state_write_never_happened_are_invisible()
    {
        var kind = await Kind();
        var state = new EntityState();
        await WriteAsync(state, Patch("""{"status":"running"}""", requestId: "r1"), kind, Start);

        // A write appends version 2, then its state write fails (or the silo dies): the state stays at version 1.
        var lost = EntityChange.Mutate(Key, state, Patch("""{"status":"lost"}""", requestId: "r-lost"), kind, Start.AddMinutes(1));
        await _store.AppendAsync(lost.Record!);

        Assert.Equal(["\"running\""], (await HistoryAsync(state)).Select(t => t.To));
        Assert.Equal(["r1"], (await AnswersAsync(state)).Select(a => a.RequestId));

        // The next write makes version 2 for real: still none of the lost write, and its retry is applied afresh.
        var retried = await WriteAsync(state, Patch("""{"status":"failed"}""", requestId: "r2"), kind, Start.AddMinutes(2));
        Assert.Equal(2, retried.Version);
        Assert.Equal(["\"failed\"", "\"running\""], (await HistoryAsync(state)).Select(t => t.To));
        Assert.DoesNotContain(await AnswersAsync(state), a => a.RequestId == "r-lost");

        // Version 3 names the change that made version 2: the lost write's rows are gone from the tables too.
        await WriteAsync(state, Patch("""{"status":"running"}"""), kind, Start.AddMinutes(3));
        Assert.Equal(0L, await ScalarAsync($"SELECT count(*) FROM baton_entity_history WHERE change_id = '{lost.Record!.ChangeId}'"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM baton_entity_requests WHERE request_id = 'r-lost'"));
        Assert.Equal(3, (await HistoryAsync(state)).Count);
    }

    [Fact]
    public async Task A_write_at_a_version_whose_earlier_attempt_failed_replaces_that_attempt()
    {
        var kind = await Kind();
        var state = new EntityState();
        var failed = EntityChange.Mutate(Key, state, Patch("""{"a":1,"b":1}"""), kind, Start);
        await _store.AppendAsync(failed.Record!);

        await WriteAsync(state, Patch("""{"a":2}"""), kind, Start.AddSeconds(1));

        var history = await HistoryAsync(state);
        Assert.Equal([("a", "2", 1L)], history.Select(t => (t.Field, t.To!, t.Version)));
        Assert.Equal(1, await _store.CountAsync(Key, EntityVisibility.Of(state), "a", Start, Start.AddMinutes(1)));
        Assert.Equal(0, await _store.CountAsync(Key, EntityVisibility.Of(state), "b", Start, Start.AddMinutes(1)));
    }

    [Fact]
    public async Task Appending_the_same_record_again_changes_nothing()
    {
        var kind = await Kind();
        var state = new EntityState();
        var decision = EntityChange.Mutate(Key, state, Patch("""{"a":1,"b":2}""", requestId: "once"), kind, Start);

        await _store.AppendAsync(decision.Record!);
        await _store.AppendAsync(decision.Record!);
        EntityChange.Commit(Key, state, decision);

        Assert.Equal(2, (await HistoryAsync(state)).Count);
        Assert.Single(await AnswersAsync(state));
    }

    [Fact]
    public async Task A_retry_gets_the_first_answer_from_the_stored_answers_even_after_later_changes()
    {
        var kind = await Kind(secretFields: ["token"]);
        var state = new EntityState();
        var first = await WriteAsync(state, Patch("""{"status":"running","token":"real-token"}""", requestId: "req-1"), kind, Start);
        var noOp = await WriteAsync(state, Patch("""{"status":"running"}""", requestId: "req-no-op"), kind, Start.AddSeconds(1));
        await WriteAsync(state, Patch("""{"status":"failed"}""", requestId: "req-2"), kind, Start.AddSeconds(2));

        // A new activation: the memory comes from the table.
        var memory = new RequestMemory(await AnswersAsync(state));
        var retry = EntityChange.Mutate(Key, state, Patch("""{"status":"running","token":"real-token"}""", requestId: "req-1"), kind, Start.AddSeconds(3), requests: memory);
        var noOpRetry = EntityChange.Mutate(Key, state, Patch("""{"status":"running"}""", requestId: "req-no-op"), kind, Start.AddSeconds(3), requests: memory);

        Assert.Equal(EntityChangeOutcome.Repeated, retry.Outcome);
        Assert.Equal((first.Version, first.State, first.ChangeId, first.Created), (retry.Mutation!.Version, retry.Mutation.State, retry.Mutation.ChangeId, retry.Mutation.Created));
        Assert.Equal(first.ChangedFields, retry.Mutation.ChangedFields);
        Assert.Contains("real-token", retry.Mutation.State, StringComparison.Ordinal);
        Assert.Equal((1L, noOp.State, (string?)null), (noOpRetry.Mutation!.Version, noOpRetry.Mutation.State, noOpRetry.Mutation.ChangeId));
        Assert.Empty(noOpRetry.Mutation.ChangedFields);
    }

    [Fact]
    public async Task Stored_transitions_hold_masked_values_only()
    {
        var kind = await Kind(secretFields: ["token"]);
        var state = new EntityState();
        await WriteAsync(state, Patch("""{"token":"tok-secret","note":"uses run-secret-1"}"""), kind, Start, runSecrets: ["run-secret-1"]);

        var rows = await TextsAsync("SELECT coalesce(from_value, '') || ' ' || coalesce(to_value, '') FROM baton_entity_history");

        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.DoesNotContain("secret", row, StringComparison.Ordinal));
        Assert.Contains(rows, row => row.Contains("\"***\"", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.Contains("uses ***", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Retention_by_count_drops_the_oldest_but_keeps_each_fields_latest_transition()
    {
        var kind = await Kind();
        var state = new EntityState();
        var options = new EntityOptions { History = new EntityHistoryOptions { MaxTransitions = 3 } };
        await WriteAsync(state, Patch("""{"quiet":"set once"}"""), kind, Start);
        for (var i = 0; i < 10; i++)
        {
            await WriteAsync(state, Patch($$"""{"busy":{{i}}}"""), kind, Start.AddMinutes(i + 1));
        }

        await _store.PruneAsync(Key, EntityVisibility.Of(state), Start.AddMinutes(11), options);

        var kept = await HistoryAsync(state);
        Assert.Equal([("busy", "9"), ("busy", "8"), ("quiet", "\"set once\"")], kept.Select(t => (t.Field, t.To!)));
        Assert.Equal(3L, await ScalarAsync("SELECT count(*) FROM baton_entity_history"));
    }

    [Fact]
    public async Task Retention_by_age_drops_old_transitions_but_keeps_each_fields_latest()
    {
        var kind = await Kind();
        var state = new EntityState();
        var options = new EntityOptions { History = new EntityHistoryOptions { MaxAge = TimeSpan.FromDays(30), MaxTransitions = null } };
        await WriteAsync(state, Patch("""{"a":1,"b":1}"""), kind, Start);
        await WriteAsync(state, Patch("""{"a":2}"""), kind, Start.AddDays(20));
        await WriteAsync(state, Patch("""{"a":3}"""), kind, Start.AddDays(40));

        await _store.PruneAsync(Key, EntityVisibility.Of(state), Start.AddDays(40), options);

        Assert.Equal([("a", "3"), ("a", "2"), ("b", "1")], (await HistoryAsync(state)).Select(t => (t.Field, t.To!)));
    }

    [Fact]
    public async Task Pruning_forgets_answers_beyond_the_remembered_count_and_age()
    {
        var kind = await Kind();
        var state = new EntityState();
        for (var i = 0; i < 6; i++)
        {
            await WriteAsync(state, Patch($$"""{"n":{{i}}}""", requestId: $"r{i}"), kind, Start.AddHours(i));
        }

        await _store.PruneAsync(Key, EntityVisibility.Of(state), Start.AddHours(5), new EntityOptions { RememberedRequests = 4, RememberRequestsFor = TimeSpan.FromHours(2.5) });

        Assert.Equal(["r5", "r4", "r3"], (await AnswersAsync(state)).Select(a => a.RequestId));
        Assert.Equal(3L, await ScalarAsync("SELECT count(*) FROM baton_entity_requests"));
    }

    [Fact]
    public async Task Concurrent_appends_of_many_entities_all_commit()
    {
        var kind = await Kind();
        var states = Enumerable.Range(0, 64).Select(_ => new EntityState()).ToArray();

        await Task.WhenAll(states.Select((state, i) => Task.Run(async () =>
        {
            for (var n = 0; n < 5; n++)
            {
                var decision = EntityChange.Mutate($"deployment/e{i}", state, Patch($$"""{"n":{{n}}}"""), kind, Start.AddSeconds(n));
                await _store.AppendAsync(decision.Record!);
                EntityChange.Commit($"deployment/e{i}", state, decision);
            }
        })));

        Assert.Equal(64L * 5, await ScalarAsync("SELECT count(*) FROM baton_entity_history"));
        Assert.Equal(5, (await _store.QueryAsync("deployment/e63", EntityVisibility.Of(states[63]), "n", null, 100)).Count);
    }

    [Fact]
    public async Task Through_grain_storage_a_state_write_that_loses_its_version_check_writes_none_of_its_rows()
    {
        var serializer = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddSerializer(builder => builder.AddAssembly(typeof(EntityState).Assembly).AddAssembly(typeof(MutateRequest).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Orleans.Serialization.Serializer>();
        var queues = new Orleans.Streams.HashRingBasedStreamQueueMapper(
            new Orleans.Configuration.HashRingStreamQueueMapperOptions { TotalQueueCount = 8 }, Baton.Contracts.BatonStreams.Provider);
        await using var storage = new Baton.Postgres.Storage.PostgresGrainStorage(
            _database, "svc", serializer, queues, TimeProvider.System, NullLogger<Baton.Postgres.Storage.PostgresGrainStorage>.Instance, [_store]);
        var grain = Orleans.Runtime.GrainId.Create("entity", Key);
        var kind = await Kind();

        // Two activations (say, on both sides of a partition) start from the same stored version and both write.
        var winner = new Orleans.GrainState<EntityState>(new EntityState());
        var loser = new Orleans.GrainState<EntityState>(new EntityState());
        await WriteThroughAsync(winner, Patch("""{"status":"running"}""", requestId: "r-won"), Start);
        await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(
            () => WriteThroughAsync(loser, Patch("""{"status":"lost"}""", requestId: "r-lost"), Start.AddSeconds(1)));

        // Only the winner's transition, answer and events are stored; the loser's rows were never written.
        Assert.Equal(["\"running\""], await TextsAsync("SELECT to_value FROM baton_entity_history"));
        Assert.Equal(["r-won"], await TextsAsync("SELECT request_id FROM baton_entity_requests"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM baton_event_log WHERE payload LIKE '%lost%'"));
        Assert.True(await ScalarAsync("SELECT count(*) FROM baton_event_log WHERE payload LIKE '%running%'") > 0);

        // The winner's next write (an UPDATE against the version it holds) carries its rows; a stale one does not.
        await WriteThroughAsync(winner, Patch("""{"status":"failed"}""", requestId: "r-next"), Start.AddSeconds(2));
        loser.ETag = "1";
        loser.State = new EntityState();
        await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(
            () => WriteThroughAsync(loser, Patch("""{"status":"stale"}""", requestId: "r-stale"), Start.AddSeconds(3)));
        Assert.Equal(["\"failed\"", "\"running\""], await TextsAsync("SELECT to_value FROM baton_entity_history ORDER BY version DESC"));
        Assert.Equal(["r-next", "r-won"], await TextsAsync("SELECT request_id FROM baton_entity_requests ORDER BY version DESC"));

        async Task WriteThroughAsync(Orleans.GrainState<EntityState> grainState, MutateRequest request, DateTimeOffset now)
        {
            var decision = EntityChange.Mutate(Key, grainState.State!, request, kind, now);
            decision.ThrowIfRefused();
            EntityChange.Commit(Key, grainState.State!, decision);
            grainState.State!.SideWrite = decision.Record;
            try
            {
                await storage.WriteStateAsync("entity", grain, grainState);
            }
            finally
            {
                grainState.State!.SideWrite = null;
            }
        }
    }

    /// <summary>As the grain writes: append the record, then write the state (here: commit it in memory).</summary>
    private async Task<MutateResult> WriteAsync(EntityState state, MutateRequest request, KindContext kind, DateTimeOffset now, IEnumerable<string>? runSecrets = null)
    {
        var decision = EntityChange.Mutate(Key, state, request, kind, now, runSecrets);
        decision.ThrowIfRefused();
        await _store.AppendAsync(decision.Record!);
        EntityChange.Commit(Key, state, decision);
        return decision.Mutation!;
    }

    private Task<IReadOnlyList<FieldTransition>> HistoryAsync(EntityState state) =>
        _store.QueryAsync(Key, EntityVisibility.Of(state), null, null, 100);

    private Task<IReadOnlyList<RememberedMutation>> AnswersAsync(EntityState state) =>
        _store.RequestsAsync(Key, EntityVisibility.Of(state), Start.AddDays(-1), 128);

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<List<string>> TextsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var texts = new List<string>();
        while (await reader.ReadAsync())
        {
            texts.Add(reader.GetString(0));
        }

        return texts;
    }
}
