using Npgsql;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Baton.Contracts;
using Baton.Contracts.Entities;
using Baton.Grains.Events;
using Baton.Tests.Events;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Baton.Tests.Entities;

/// <summary>
/// Postgres mode, three silos, 16 writers on distinct entities, one silo killed in the middle: every
/// acknowledged mutation survives and has exactly one <c>entity.changed</c> event after de-duplication.
/// </summary>
/// <remarks>
/// Events are checked at two points. <see cref="PublishTap"/> sees every envelope the entity grains hand
/// to the stream provider, on every silo: that is the grains' guarantee (at least once, same id on every
/// retry). The recorder consumer sees what the transport delivered: Postgres mode's stream provider is the
/// durable PostgreSQL queue, so an event queued on the killed silo is redelivered by a survivor and the
/// consumer, which persists what it received before acknowledging, ends with exactly the acknowledged
/// changes, one per version, after de-duplication by event id.
/// </remarks>
[Collection("postgres")]
public sealed class EntityChaosTests(PostgresFixture postgres)
{
    private const int Writers = 16;
    private const int MutationsPerWriter = 24;

    [Fact]
    public async Task Every_acknowledged_mutation_survives_a_killed_silo_with_exactly_one_change_event()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync(database, silos: 3);
        try
        {
            var grains = cluster.Client;
            var kind = EntityGrainTests.NewKind();
            await grains.GetGrain<IEntityKindGrain>(kind).Define(new KindDefinition
            {
                Schema = """{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}""",
            });

            var acknowledged = 0;
            var killAfter = Writers * MutationsPerWriter / 3;
            var killed = new TaskCompletionSource();
            var answers = new ConcurrentDictionary<string, List<MutateResult>>();
            var retries = 0;

            async Task Write(int writer)
            {
                var key = $"{kind}/writer-{writer}";
                var results = answers.GetOrAdd(key, _ => []);
                for (var n = 0; n < MutationsPerWriter; n++)
                {
                    // Same request id on every retry: an attempt that was applied before its answer got lost is answered, not applied again.
                    var request = EntityGrainTests.Patch($$"""{"n":{{n}},"writer":{{writer}}}""", requestId: $"{key}#{n}", actor: $"writer-{writer}");
                    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                    while (true)
                    {
                        try
                        {
                            results.Add(await grains.GetGrain<IEntityGrain>(key).Mutate(request));
                            break;
                        }
                        catch (Exception) when (DateTime.UtcNow < deadline)
                        {
                            Interlocked.Increment(ref retries);
                            await Task.Delay(200);
                        }
                    }

                    if (Interlocked.Increment(ref acknowledged) == killAfter)
                    {
                        killed.SetResult();
                    }
                }
            }

            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => Write(w))).ToList();
            await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var victim = cluster.SecondarySilos[0];
            await cluster.KillSiloAsync(victim);
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(90));

            foreach (var (key, results) in answers)
            {
                // Every answer names its own version, in order: 1, 2, … — and the state that survived is the last one acknowledged.
                Assert.Equal(Enumerable.Range(1, MutationsPerWriter).Select(v => (long)v), results.Select(r => r.Version));
                var snapshot = await grains.GetGrain<IEntityGrain>(key).Get();
                Assert.Equal(MutationsPerWriter, snapshot.Version);
                Assert.Equal(MutationsPerWriter - 1, JsonNode.Parse(snapshot.State!)!["n"]!.GetValue<int>());
                Assert.Equal(MutationsPerWriter + 1, (await grains.GetGrain<IEntityGrain>(key).History(null, null, 1000)).Count);

                // Every acknowledged change was committed to the event log (the stream queue) with its state, once per version.
                var published = await LoggedChangesAsync(database, key);
                Assert.Equal(Enumerable.Range(1, MutationsPerWriter).Select(v => (long)v), published.Select(e => e.Version).Order());
                Assert.Equal(results.Select(r => r.ChangeId), published.OrderBy(e => e.Version).Select(e => ChangeId(e.Payload)));

                // What the consumer received: exactly the acknowledged changes, one per version, after de-duplication.
                var received = await Poll.Until(
                    async () => (await grains.GetGrain<IEntityEventRecorderGrain>(key).Received()).ChangedOnce(),
                    r => r.Count >= MutationsPerWriter,
                    TimeSpan.FromSeconds(60));
                Assert.Equal(Enumerable.Range(1, MutationsPerWriter).Select(v => (long)v), received.Select(e => e.Version).Order());
                Assert.Equal(results.Select(r => r.ChangeId), received.OrderBy(e => e.Version).Select(e => ChangeId(e.Payload)));
            }

            Assert.Equal(Writers, answers.Count);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static string ChangeId(string payload) => JsonNode.Parse(payload)!["change_id"]!.GetValue<string>();

    /// <summary>The <c>entity.changed</c> events the event log holds for <paramref name="subject"/>, de-duplicated by event id.</summary>
    private static async Task<IReadOnlyList<RecordedEntityEvent>> LoggedChangesAsync(string database, string subject)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT event_id, type, sequence, payload FROM baton_event_log WHERE subject = $1 ORDER BY position", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subject });
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<RecordedEntityEvent>();
        while (await reader.ReadAsync())
        {
            events.Add(new RecordedEntityEvent(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3)));
        }

        return events.ChangedOnce();
    }
}
