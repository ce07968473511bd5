using System.Diagnostics;
using Baton.Benchmarks.Harness;
using Baton.Contracts;
using Orleans;

namespace Baton.Benchmarks;

/// <summary>
/// Durable events end to end: publishers (grains, each awaiting every publish, so each event is
/// in PostgreSQL before the next starts) → Baton's PostgreSQL stream queue → an implicit-subscription
/// consumer grain per stream. Prints events/s published and consumed, and publish→consumer
/// latency (consumer arrival − publish time, both from the silo's clock).
/// </summary>
public static class EventBench
{
    private const int PayloadBytes = 256;

    /// <summary>Events one publish call publishes (one at a time): amortizes the client's round trip, not the per-event cost.</summary>
    private const int EventsPerCall = 16;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(BenchSettings settings, CancellationToken ct)
    {
        await using var cluster = await BenchCluster.StartAsync(silos: 1);
        foreach (var publishers in new[] { 1, 8 })
        {
            await RunCaseAsync(cluster, publishers, settings, ct);
        }
    }

    private static async Task RunCaseAsync(BenchCluster cluster, int publishers, BenchSettings settings, CancellationToken ct)
    {
        var name = $"baton_events_p{publishers}";
        var run = Guid.NewGuid().ToString("N")[..8];
        var subjects = Enumerable.Range(0, publishers).Select(i => $"{run}-p{i}").ToArray();
        var grains = cluster.Client.Grains;

        var published = 0L;
        var publishedInWindow = 0L;
        var errors = 0L;
        var measuring = 0;
        var stop = 0;
        var workers = subjects.Select(subject => Task.Run(async () =>
        {
            var probe = grains.GetGrain<IEventProbeGrain>(subject);
            while (Volatile.Read(ref stop) == 0 && !ct.IsCancellationRequested)
            {
                try
                {
                    var n = await probe.Publish(EventsPerCall, PayloadBytes);
                    Interlocked.Add(ref published, n);
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        Interlocked.Add(ref publishedInWindow, n);
                    }
                }
                catch (Exception) when (Volatile.Read(ref stop) == 0)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ToArray();

        await Task.Delay(settings.Warmup, ct);
        var windowStart = DateTime.UtcNow.Ticks;
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, 1);
        await Task.Delay(settings.Duration, ct);
        Volatile.Write(ref measuring, 0);
        var window = clock.Elapsed;
        var windowEnd = DateTime.UtcNow.Ticks;
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(workers);

        // Wait until the consumers have everything, so latencies of the window's events are complete.
        var sinks = subjects.Select(s => grains.GetGrain<IEventProbeSinkGrain>(s)).ToArray();
        var drain = Stopwatch.StartNew();
        long received;
        while ((received = (await Task.WhenAll(sinks.Select(s => s.Received()))).Sum()) < published && drain.Elapsed < DrainTimeout)
        {
            await Task.Delay(50, ct);
        }

        var drained = drain.Elapsed;
        var receipts = await Task.WhenAll(sinks.Select(s => s.Drain()));
        var latencies = new List<double>();
        var consumedInWindow = 0L;
        foreach (var r in receipts)
        {
            for (var i = 0; i < r.PublishedTicks.Length; i++)
            {
                if (r.ReceivedTicks[i] >= windowStart && r.ReceivedTicks[i] < windowEnd)
                {
                    consumedInWindow++;
                }

                if (r.PublishedTicks[i] >= windowStart && r.PublishedTicks[i] < windowEnd)
                {
                    latencies.Add(TimeSpan.FromTicks(r.ReceivedTicks[i] - r.PublishedTicks[i]).TotalMilliseconds);
                }
            }
        }

        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        var unique = receipts.Sum(r => (long)r.PublishedTicks.Length);
        Console.WriteLine($"{name}_published_per_s {publishedInWindow / window.TotalSeconds:F1} events/s");
        Console.WriteLine($"{name}_consumed_per_s {consumedInWindow / window.TotalSeconds:F1} events/s");
        Console.WriteLine($"{name}_e2e_p50_ms {ClosedLoop.Percentile(sorted, 0.50):F3} ms");
        Console.WriteLine($"{name}_e2e_p99_ms {ClosedLoop.Percentile(sorted, 0.99):F3} ms");
        Console.WriteLine($"{name}_drain_after_stop_s {drained.TotalSeconds:F3} s");
        if (unique < published)
        {
            Console.WriteLine($"{name}_missing {published - unique} events");
        }

        var repeats = receipts.Sum(r => r.Repeats);
        var outOfOrder = receipts.Sum(r => r.OutOfOrder);
        if (repeats > 0)
        {
            Console.WriteLine($"{name}_repeats {repeats} events");
        }

        if (outOfOrder > 0)
        {
            Console.WriteLine($"{name}_out_of_order {outOfOrder} events");
        }

        if (errors > 0)
        {
            Console.WriteLine($"{name}_errors {errors} count");
        }
    }
}
