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
    private readonly Task _sampling;

    private CpuWindow(BenchCluster cluster, BenchSettings settings, CancellationToken ct)
    {
        _sampling = Task.Run(async () =>
        {
            await Task.Delay(settings.Warmup, ct);
            _silo[0] = cluster.SiloCpuTime();
            _client[0] = Process.GetCurrentProcess().TotalProcessorTime;
            _postgres[0] = await cluster.PostgresCpuTimeAsync();
            await Task.Delay(settings.Duration, ct);
            _silo[1] = cluster.SiloCpuTime();
            _client[1] = Process.GetCurrentProcess().TotalProcessorTime;
            _postgres[1] = await cluster.PostgresCpuTimeAsync();
        }, ct);
    }

    public static CpuWindow Start(BenchCluster cluster, BenchSettings settings, CancellationToken ct) => new(cluster, settings, ct);

    /// <summary>Prints <c>{name}_silo_cpu_us_per_op</c>, <c>{name}_client_cpu_us_per_op</c> and <c>{name}_postgres_cpu_us_per_op</c>.</summary>
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
    }
}
