using System.Diagnostics;

namespace Baton.Benchmarks.Harness;

/// <summary>
/// The peers' shape: N workers in a closed loop (each starts its next operation when the last
/// finished), a warm-up that is not measured, then a measured window. Latency is per operation.
/// </summary>
public static class ClosedLoop
{
    public static async Task<LoopResult> RunAsync(int workers, TimeSpan warmup, TimeSpan duration, Func<int, long, Task> operation)
    {
        var latencies = new List<double>[workers];
        var errors = new long[workers];
        var measuring = 0;
        var stop = 0;
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            latencies[worker] = new List<double>(100_000);
            tasks[worker] = Task.Run(async () =>
            {
                long i = 0;
                while (Volatile.Read(ref stop) == 0)
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        await operation(worker, i++);
                    }
                    catch (Exception) when (Volatile.Read(ref stop) == 0)
                    {
                        errors[worker]++;
                        continue;
                    }

                    if (Volatile.Read(ref measuring) == 1)
                    {
                        latencies[worker].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }
                }
            });
        }

        await Task.Delay(warmup);
        var clock = Stopwatch.StartNew();
        var measuredFrom = Stopwatch.GetTimestamp();
        Volatile.Write(ref measuring, 1);
        await Task.Delay(duration);
        Volatile.Write(ref measuring, 0);
        var elapsed = clock.Elapsed;
        var measuredTo = Stopwatch.GetTimestamp();
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(tasks);

        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new LoopResult(all.Length, elapsed, Percentile(all, 0.50), Percentile(all, 0.99), errors.Sum())
        {
            MeasuredFrom = measuredFrom,
            MeasuredTo = measuredTo,
        };
    }

    public static double Percentile(double[] sorted, double p)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

public sealed record LoopResult(long Operations, TimeSpan Elapsed, double P50Ms, double P99Ms, long Errors)
{
    public double OpsPerSecond => Operations / Elapsed.TotalSeconds;

    /// <summary>The <see cref="Stopwatch"/> timestamp at which the measured window opened.</summary>
    public long MeasuredFrom { get; init; }

    /// <summary>The <see cref="Stopwatch"/> timestamp at which the measured window closed.</summary>
    public long MeasuredTo { get; init; }

    /// <summary>Prints <c>metric value unit</c> lines, the format the peers' scripts and table.py use.</summary>
    public void Print(string name)
    {
        Console.WriteLine($"{name}_ops_per_s {OpsPerSecond:F1} ops/s");
        Console.WriteLine($"{name}_p50_ms {P50Ms:F3} ms");
        Console.WriteLine($"{name}_p99_ms {P99Ms:F3} ms");
        if (Errors > 0)
        {
            Console.WriteLine($"{name}_errors {Errors} count");
        }
    }
}
