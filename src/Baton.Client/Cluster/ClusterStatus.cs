using Orleans;
using Orleans.Runtime;

namespace Baton.Client.Cluster;

/// <summary>Reads the cluster's silos through Orleans' management grain.</summary>
public static class ClusterStatus
{
    /// <summary>
    /// Every silo in the membership table, active ones first, with activation counts of the active ones.
    /// </summary>
    public static async Task<IReadOnlyList<SiloStatusRow>> QueryAsync(IGrainFactory grains, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var management = grains.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: false).WaitAsync(ct);
        var active = hosts.Where(h => h.Status == SiloStatus.Active).Select(h => h.SiloAddress).ToArray();
        var activations = await ActivationCountsAsync(management, active, ct);

        return hosts
            .Select(h => new SiloStatusRow(
                Address: h.SiloAddress.Endpoint.ToString(),
                Generation: h.SiloAddress.Generation,
                Name: h.SiloName ?? "",
                Host: h.HostName ?? "",
                Status: h.Status,
                StartedAt: new DateTimeOffset(DateTime.SpecifyKind(h.StartTime, DateTimeKind.Utc)),
                Activations: activations.TryGetValue(h.SiloAddress, out var count) ? count : null))
            .OrderBy(r => Rank(r.Status))
            .ThenBy(r => r.Address, StringComparer.Ordinal)
            .ThenByDescending(r => r.Generation)
            .ToList();
    }

    private static async Task<Dictionary<SiloAddress, int>> ActivationCountsAsync(IManagementGrain management, SiloAddress[] silos, CancellationToken ct)
    {
        var counts = new Dictionary<SiloAddress, int>();
        if (silos.Length == 0)
        {
            return counts;
        }

        try
        {
            var statistics = await management.GetRuntimeStatistics(silos).WaitAsync(ct);
            for (var i = 0; i < silos.Length && i < statistics.Length; i++)
            {
                counts[silos[i]] = statistics[i].ActivationCount;
            }

            return counts;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && silos.Length > 1)
        {
            // One silo that stopped answering fails the whole batch; ask each so the others still report.
        }

        foreach (var silo in silos)
        {
            try
            {
                var statistics = await management.GetRuntimeStatistics([silo]).WaitAsync(ct);
                counts[silo] = statistics[0].ActivationCount;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Left without a count: the row still shows the silo and its membership status.
            }
        }

        return counts;
    }

    private static int Rank(SiloStatus status) => status switch
    {
        SiloStatus.Active => 0,
        SiloStatus.Joining or SiloStatus.Created => 1,
        SiloStatus.ShuttingDown or SiloStatus.Stopping => 2,
        _ => 3,
    };
}
