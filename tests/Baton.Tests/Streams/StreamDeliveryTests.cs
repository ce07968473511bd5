using System.Diagnostics;
using Baton.Contracts;
using Baton.Postgres.Streams;
using Baton.Tests.Events;
using Baton.Tests.Grains;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Baton.Tests.Streams;

/// <summary>The durable stream provider end to end: several Postgres-mode silos, grains publishing, implicit subscribers consuming.</summary>
[Collection("postgres")]
public sealed class StreamDeliveryTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_thousand_events_from_grains_on_three_silos_all_arrive_in_subject_order_while_a_silo_is_killed()
    {
        const int Subjects = 100;
        const int Batches = 4;
        const int EventsPerBatch = 25;
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await StreamsCluster.StartAsync(database, silos: 3, new StreamsCluster.Timings(
            Lease: TimeSpan.FromSeconds(4), MaxAttempts: 20, MaxEventDeliveryTime: TimeSpan.FromSeconds(20), RedeliveryDelay: TimeSpan.FromMilliseconds(200)));
        try
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var subjects = Enumerable.Range(0, Subjects).Select(i => $"{run}:load-{i}").ToArray();
            var publishers = subjects.Select(s => cluster.Client.GetGrain<IStreamPublisherGrain>(s)).ToArray();
            var homes = await Task.WhenAll(publishers.Select(p => p.Silo()));
            Assert.Equal(3, homes.Distinct().Count());

            var stopwatch = Stopwatch.StartNew();
            var calls = 0;
            var halfway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var victim = cluster.SecondarySilos[0];
            var kill = Task.Run(async () =>
            {
                await halfway.Task;
                await cluster.KillSiloAsync(victim);
                output.WriteLine($"killed {victim.SiloAddress} after {stopwatch.Elapsed.TotalSeconds:F1} s");
            });

            await Task.WhenAll(publishers.Select(async publisher =>
            {
                for (var batch = 1; batch <= Batches; batch++)
                {
                    await RetryAsync(() => publisher.Publish(batch, EventsPerBatch));
                    if (Interlocked.Increment(ref calls) == Subjects * Batches / 2)
                    {
                        halfway.TrySetResult();
                    }
                }
            }));
            await kill;
            output.WriteLine($"published {Subjects * Batches * EventsPerBatch} events in {stopwatch.Elapsed.TotalSeconds:F1} s");

            var published = await Task.WhenAll(publishers.Select(p => RetryAsync(p.LastSequence)));
            Assert.All(published, last => Assert.Equal(Batches * EventsPerBatch, last));
            Assert.Contains(homes, h => h == victim.SiloAddress.ToString() || h.Contains(victim.SiloAddress.ToString(), StringComparison.Ordinal));

            var summaries = await Poll.Until(
                () => Task.FromResult(subjects.Select(s => DeliveryLog.For(s).Summary()).ToArray()),
                all => all.All(s => s.Accepted.Count >= Batches * EventsPerBatch),
                TimeSpan.FromSeconds(60));
            output.WriteLine($"consumed after {stopwatch.Elapsed.TotalSeconds:F1} s: {summaries.Sum(s => s.Received)} deliveries, {summaries.Sum(s => s.Duplicates)} duplicates dropped");

            Assert.Equal(Subjects * Batches * EventsPerBatch, summaries.Sum(s => s.Accepted.Count));
            foreach (var summary in summaries)
            {
                // Every event once after de-duplication, and in the order its grain published it.
                Assert.Equal(Enumerable.Range(1, Batches * EventsPerBatch).Select(i => (long)i), summary.Accepted);
                Assert.Equal(0, summary.OutOfOrder);
            }

            // Every queue's cursor passed what was delivered, nothing was dead-lettered.
            var left = await Poll.Until(() => ScalarAsync(database, Undelivered), n => n == 0, TimeSpan.FromSeconds(30));
            Assert.Equal(0, left);
            Assert.Equal(0, await CountAsync(database, "baton_stream_dead_letter"));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_poison_event_is_dead_lettered_after_max_attempts_with_the_reason_and_the_queue_keeps_flowing_behind_it()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await StreamsCluster.StartAsync(database, silos: 2, new StreamsCluster.Timings(
            Lease: TimeSpan.FromSeconds(10), MaxAttempts: 3, MaxEventDeliveryTime: TimeSpan.FromMilliseconds(300), RedeliveryDelay: TimeSpan.FromMilliseconds(100)));
        try
        {
            var run = Guid.NewGuid().ToString("N")[..8];
            var poisoned = $"{run}:poisoned";
            var neighbour = NeighbourInSameQueue(poisoned, run);
            var provider = cluster.Client.GetStreamProvider(BatonStreams.Provider);
            var poisonedStream = provider.GetStream<EventEnvelope>(StreamId.Create(PoisonedSinkGrain.Namespace, poisoned));
            var neighbourStream = provider.GetStream<EventEnvelope>(StreamId.Create(PoisonedSinkGrain.Namespace, neighbour));

            // Published by the client, so the client's registration of the provider is exercised too.
            await poisonedStream.OnNextAsync(Envelope(poisoned, 1));
            var poison = Envelope(poisoned, 2, PoisonedSinkGrain.PoisonPayload);
            await poisonedStream.OnNextAsync(poison);
            for (var sequence = 3; sequence <= 6; sequence++)
            {
                await poisonedStream.OnNextAsync(Envelope(poisoned, sequence));
            }

            for (var sequence = 1; sequence <= 5; sequence++)
            {
                await neighbourStream.OnNextAsync(Envelope(neighbour, sequence));
            }

            var deadLetters = await Poll.Until(() => CountAsync(database, "baton_stream_dead_letter"), n => n > 0, TimeSpan.FromSeconds(45));
            Assert.Equal(1, deadLetters);

            var (attempts, reason, streamKey, eventId) = await DeadLetterAsync(database);
            Assert.Equal(3, attempts);
            Assert.Equal(poisoned, streamKey);
            Assert.Contains("delivery failed on attempt 3 of 3", reason);
            Assert.Equal(poison.EventId, eventId);

            // Each attempt handed the poison to the consumer again; everything behind it arrived.
            var poisonedLog = await Poll.Until(() => Task.FromResult(DeliveryLog.For(poisoned).Summary()), s => s.Accepted.Count >= 5, TimeSpan.FromSeconds(20));
            Assert.True(poisonedLog.Refusals >= 3, $"the consumer saw the poison {poisonedLog.Refusals} time(s)");
            Assert.Equal([1L, 3L, 4L, 5L, 6L], poisonedLog.Accepted);
            var neighbourLog = await Poll.Until(() => Task.FromResult(DeliveryLog.For(neighbour).Summary()), s => s.Accepted.Count >= 5, TimeSpan.FromSeconds(20));
            Assert.Equal([1L, 2L, 3L, 4L, 5L], neighbourLog.Accepted);

            // Every queue's cursor passed everything: the poison (dead-lettered) and what is behind it (delivered).
            await Poll.Until(
                () => ScalarAsync(database, Undelivered),
                n => n == 0,
                TimeSpan.FromSeconds(20));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Events_no_grain_subscribes_to_are_still_passed_by_their_queues_cursor()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await StreamsCluster.StartAsync(database, silos: 1, new StreamsCluster.Timings(
            Lease: TimeSpan.FromSeconds(10), MaxAttempts: 3, MaxEventDeliveryTime: TimeSpan.FromSeconds(5), RedeliveryDelay: TimeSpan.FromMilliseconds(100)));
        try
        {
            // Nothing subscribes to this namespace: the events are logged (the feed serves them) and their queue moves on.
            var provider = cluster.Client.GetStreamProvider(BatonStreams.Provider);
            var subjects = Enumerable.Range(0, 8).Select(i => $"{Guid.NewGuid():N}-{i}").ToArray();
            foreach (var subject in subjects)
            {
                var stream = provider.GetStream<EventEnvelope>(StreamId.Create("nobody-listens", subject));
                for (var sequence = 1; sequence <= 5; sequence++)
                {
                    await stream.OnNextAsync(Envelope(subject, sequence));
                }
            }

            Assert.Equal(40, await ScalarAsync(database, "SELECT count(*) FROM baton_event_log WHERE namespace = 'nobody-listens'"));
            Assert.Equal(0, await Poll.Until(() => ScalarAsync(database, Undelivered), n => n == 0, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    /// <summary>Queued events that some queue's cursor has not passed yet.</summary>
    private const string Undelivered =
        "SELECT count(*) FROM baton_event_log l WHERE queue_id IS NOT NULL AND position > (SELECT coalesce(max(delivered_through), 0) FROM baton_stream_cursor c WHERE c.service_id = l.service_id AND c.queue_id = l.queue_id)";

    /// <summary>Another subject whose stream the provider's mapper (8 queues) puts in the same queue as <paramref name="subject"/>'s.</summary>
    private static string NeighbourInSameQueue(string subject, string run)
    {
        var mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = new PostgresStreamOptions().Queues }, BatonStreams.Provider);
        var queue = mapper.GetQueueForStream(StreamId.Create(PoisonedSinkGrain.Namespace, subject));
        return Enumerable.Range(0, 1000)
            .Select(i => $"{run}:neighbour-{i}")
            .First(s => mapper.GetQueueForStream(StreamId.Create(PoisonedSinkGrain.Namespace, s)).Equals(queue));
    }

    private static EventEnvelope Envelope(string subject, long sequence, string payload = "{}") =>
        new(Guid.CreateVersion7().ToString(), "poison.test", subject, sequence, DateTimeOffset.UtcNow, "tests", payload);

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                // The grain's silo was killed; the call is retried until the cluster has noticed.
                await Task.Delay(200);
            }
        }
    }

    private static async Task<long> CountAsync(string database, string table)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<(int Attempts, string Reason, string StreamKey, string EventId)> DeadLetterAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT attempts, reason, stream_key, event_id FROM baton_stream_dead_letter", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
