using Baton.Benchmarks.Harness;
using Orleans;
using Orleans.Runtime;

namespace Baton.Benchmarks;

/// <summary>Round trips to a system grain: the cost of the client, the gateway and the silo, with no storage.</summary>
public static class BaselineBench
{
    public static async Task RunAsync(BenchSettings settings, CancellationToken ct)
    {
        await using var cluster = await BenchCluster.StartAsync(silos: 1);
        var management = cluster.Client.Grains.GetGrain<IManagementGrain>(0);
        foreach (var workers in new[] { 1, 16 })
        {
            var result = await ClosedLoop.RunAsync(workers, settings.Warmup, settings.Duration, async (_, _) => await management.GetTotalActivationCount());
            result.Print($"baton_grain_call_c{workers}");
        }
    }
}
