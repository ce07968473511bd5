using System.Diagnostics;

namespace Baton.Benchmarks.Harness;

/// <summary>
/// CPU the silo processes, this (client) process and PostgreSQL used over about the measured window of a closed loop:
/// sampled when the warm-up ends and when the window closes. Start it together with the loop.
/// </summary>
public sealed class CpuWindow
{
    private readonly TimeSpan[] _silo = new TimeSpan[2];
    private readonly TimeSpan[] _client = new TimeSpan[2];
    private readonly TimeSpan[] _postgres = new TimeSpan[2];
    private readonly long[] _siloSwitches = new long[2];
    private readonly long[] _clientSwitches = new long[2];
    private readonly Task _sampling;

    private CpuWindow(BenchCluster cluster, BenchSettings settings, CancellationToken ct)
    {
        _sampling = Task.Run(async () =>
        {
            await Task.Delay(settings.Warmup, ct);
            _silo[0] = cluster.SiloCpuTime();
            _client[0] = Process.GetCurrentProcess().TotalProcessorTime;
            _siloSwitches[0] = cluster.SiloProcessIds().Sum(ContextSwitches);
            _clientSwitches[0] = ContextSwitches(Environment.ProcessId);
            _postgres[0] = await cluster.PostgresCpuTimeAsync();
            await Task.Delay(settings.Duration, ct);
            _silo[1] = cluster.SiloCpuTime();
            _client[1] = Process.GetCurrentProcess().TotalProcessorTime;
            _siloSwitches[1] = cluster.SiloProcessIds().Sum(ContextSwitches);
            _clientSwitches[1] = ContextSwitches(Environment.ProcessId);
            _postgres[1] = await cluster.PostgresCpuTimeAsync();
        }, ct);
    }

    public static CpuWindow Start(BenchCluster cluster, BenchSettings settings, CancellationToken ct) => new(cluster, settings, ct);

    /// <summary>
    /// Prints <c>{name}_silo_cpu_us_per_op</c>, <c>{name}_client_cpu_us_per_op</c> and <c>{name}_postgres_cpu_us_per_op</c>,
    /// and the context switches of the silo and client threads per operation (<c>{name}_silo_cswitch_per_op</c>, <c>{name}_client_cswitch_per_op</c>).
    /// </summary>
    public async Task PrintAsync(string name, long operations)
    {
        await _sampling;
        if (operations <= 0)
        {
            return;
        }

        Console.WriteLine($"{name}_silo_cpu_us_per_op {(_silo[1] - _silo[0]).TotalMicroseconds / operations:F1} us/op");
        Console.WriteLine($"{name}_client_cpu_us_per_op {(_client[1] - _client[0]).TotalMicroseconds / operations:F1} us/op");
        Console.WriteLine($"{name}_postgres_cpu_us_per_op {(_postgres[1] - _postgres[0]).TotalMicroseconds / operations:F1} us/op");
        Console.WriteLine($"{name}_silo_cswitch_per_op {(double)(_siloSwitches[1] - _siloSwitches[0]) / operations:F2} switches/op");
        Console.WriteLine($"{name}_client_cswitch_per_op {(double)(_clientSwitches[1] - _clientSwitches[0]) / operations:F2} switches/op");
    }

    /// <summary>
    /// Context switches (voluntary and involuntary) of a process's live threads so far, from /proc (Linux; 0 elsewhere).
    /// Threads that exited between the two samples are missed, so the figure is a lower bound.
    /// </summary>
    private static long ContextSwitches(int pid)
    {
        var total = 0L;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                            || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            total += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                        }
                    }
                }
                catch (IOException)
                {
                    // The thread exited while being read.
                }
            }
        }
        catch (IOException)
        {
        }

        return total;
    }
}
