using System.Collections.Concurrent;
using System.Diagnostics;
using Baton.Benchmarks.Harness;
using Baton.Client.Feed;
using Baton.Contracts;
using Baton.Contracts.Entities;

namespace Baton.Benchmarks;

/// <summary>
/// Entity mutations in Postgres mode: 16 writers, each patching its own entity in a closed loop. Every
/// mutation is a real change (schema-checked, diffed, field transitions persisted with the state, the
/// <c>entity.changed</c> event and its derived event queued through the outbox onto the durable stream).
/// A consumer follows the kind's change feed (<see cref="BatonEventFeed"/> over the silo's event log, which
/// the log appender fills from the stream) and records when each acknowledged change id arrives.
/// </summary>
/// <remarks>
/// Prints <c>baton_entity_c16_ops_per_s</c> and <c>_p50_ms</c>/<c>_p99_ms</c> (mutate latency, acknowledged by
/// the grain), <c>_delivered_events_per_s</c> (acknowledged changes of the measured window that reached the
/// consumer, per second of that window; all of them must arrive, see <c>_undelivered</c>), and
/// <c>_delivery_p50_ms</c>/<c>_delivery_p99_ms</c> (from a mutation's acknowledgement to its change event at the
/// consumer, including the consumer's poll interval).
/// </remarks>
public static class EntityBench
{
    private const string Kind = "bench.entity";
    private const int Writers = 16;
    private static readonly TimeSpan ConsumerPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan DrainPatience = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(BenchSettings settings, CancellationToken ct)
    {
        await using var cluster = await BenchCluster.StartAsync(silos: 1);
        var grains = cluster.Client.Grains;
        await grains.GetGrain<IEntityKindGrain>(Kind).Define(new KindDefinition
        {
            Schema = """
                { "type": "object", "required": ["n", "status"],
                  "properties": { "n": { "type": "integer" }, "status": { "type": "string", "enum": ["idle", "busy"] }, "owner": { "type": "string" } } }
                """,
        });

        var feed = new BatonEventFeed(grains) { PollInterval = ConsumerPoll };
        var start = await feed.HeadAsync();
        var arrived = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var stopConsumer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var consumer = ConsumeAsync(feed, start, arrived, stopConsumer.Token);

        var acknowledged = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var entities = Enumerable.Range(0, Writers).Select(w => grains.GetGrain<IEntityGrain>($"{Kind}/writer-{w}")).ToArray();
        var cpu = CpuWindow.Start(cluster, settings, ct);
        var result = await ClosedLoop.RunAsync(Writers, settings.Warmup, settings.Duration, async (worker, i) =>
        {
            var mutation = await entities[worker].Mutate(new MutateRequest
            {
                Patch = $$"""{"n":{{i}},"status":"{{(i % 2 == 0 ? "busy" : "idle")}}","owner":"writer-{{worker}}"}""",
                Actor = $"bench-{worker}",
                RequestId = $"{worker}-{i}-{Guid.NewGuid():N}",
            });
            acknowledged[mutation.ChangeId!] = Stopwatch.GetTimestamp();
        });
        result.Print($"baton_entity_c{Writers}");

        // Every change acknowledged in the measured window must reach the consumer.
        var window = acknowledged.Where(a => a.Value >= result.MeasuredFrom && a.Value <= result.MeasuredTo).ToList();
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed < DrainPatience && !acknowledged.Keys.All(arrived.ContainsKey))
        {
            await Task.Delay(50, ct);
        }

        await stopConsumer.CancelAsync();
        await consumer;

        var delivered = window.Where(a => arrived.ContainsKey(a.Key)).ToList();
        var deliveredInWindow = window.Count(a => arrived.TryGetValue(a.Key, out var at) && at <= result.MeasuredTo);
        var delays = delivered.Select(a => Stopwatch.GetElapsedTime(a.Value, arrived[a.Key]).TotalMilliseconds).Order().ToArray();
        var name = $"baton_entity_c{Writers}";
        Console.WriteLine($"{name}_delivered_events_per_s {deliveredInWindow / result.Elapsed.TotalSeconds:F1} ops/s");
        Console.WriteLine($"{name}_delivery_p50_ms {ClosedLoop.Percentile(delays, 0.50):F3} ms");
        Console.WriteLine($"{name}_delivery_p99_ms {ClosedLoop.Percentile(delays, 0.99):F3} ms");
        await cpu.PrintAsync(name, result.Operations);

        var undelivered = acknowledged.Keys.Count(id => !arrived.ContainsKey(id));
        if (undelivered > 0)
        {
            Console.WriteLine($"{name}_undelivered {undelivered} count");
        }
    }

    /// <summary>Follows the kind's <c>entity.changed</c> events, noting when each change id first arrives.</summary>
    private static async Task ConsumeAsync(BatonEventFeed feed, string after, ConcurrentDictionary<string, long> arrived, CancellationToken ct)
    {
        try
        {
            await foreach (var e in feed.WatchAsync(FeedFilter.EntityKind(Kind, Contracts.EventTypeFilter.Parse([EntityEventTypes.Changed])), after, ct))
            {
                arrived.TryAdd(ChangeId(e.Envelope.Payload), Stopwatch.GetTimestamp());
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private static string ChangeId(string payload)
    {
        using var document = System.Text.Json.JsonDocument.Parse(payload);
        return document.RootElement.GetProperty("change_id").GetString()!;
    }
}
