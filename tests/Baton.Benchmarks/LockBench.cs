using Baton.Benchmarks.Harness;
using Baton.Contracts.Locks;
using Npgsql;

namespace Baton.Benchmarks;

/// <summary>
/// Lock cycles (acquire, then release at once) through the .NET client, in the peers' shape: uncontended with
/// random keys from 100k at 1 and 16 concurrent clients, and contended with 16 clients on one key that wait their
/// turn. Each case also prints what it cost PostgreSQL per cycle: commits, and row writes by table.
/// </summary>
public static class LockBench
{
    private const int KeySpace = 100_000;

    public static async Task RunAsync(BenchSettings settings, CancellationToken ct)
    {
        await using var cluster = await BenchCluster.StartAsync(silos: 1);
        var locks = cluster.Client.Locks;
        var run = Guid.NewGuid().ToString("N")[..6];

        foreach (var workers in new[] { 1, 16 })
        {
            var unavailable = 0L;
            var before = await PostgresWrites.ReadAsync(cluster.Database);
            var cpu = CpuWindow.Start(cluster, settings, ct);
            var result = await ClosedLoop.RunAsync(workers, settings.Warmup, settings.Duration, async (worker, _) =>
            {
                var key = $"bench:{run}-{Random.Shared.Next(KeySpace)}";
                var outcome = await locks.RequestAsync(key, Request($"bench-{worker}", TimeSpan.Zero), ct);
                if (outcome.Lease is { } lease)
                {
                    await locks.ReleaseAsync(lease.LeaseId, lease.Owner, null, ct);
                }
                else
                {
                    // Two workers drew the same key at once: a round trip, but no cycle.
                    Interlocked.Increment(ref unavailable);
                }
            });
            var name = $"baton_lock_c{workers}";
            result.Print(name);
            Console.WriteLine($"{name}_unavailable {unavailable} count");
            await cpu.PrintAsync(name, result.Operations);
            (await PostgresWrites.ReadAsync(cluster.Database)).PrintPerOperation(name, before, result.Operations, settings);
        }

        {
            const int workers = 16;
            var key = $"bench:{run}-contended";
            var before = await PostgresWrites.ReadAsync(cluster.Database);
            var cpu = CpuWindow.Start(cluster, settings, ct);
            var result = await ClosedLoop.RunAsync(workers, settings.Warmup, settings.Duration, async (worker, _) =>
            {
                var outcome = await locks.RequestAsync(key, Request($"bench-{worker}", TimeSpan.FromSeconds(60)), ct);
                if (outcome.Lease is not { } lease)
                {
                    throw new InvalidOperationException($"contended acquire ended {outcome.Outcome}: {outcome.Detail}");
                }

                await locks.ReleaseAsync(lease.LeaseId, lease.Owner, null, ct);
            });
            var name = $"baton_lock_contended_c{workers}";
            result.Print(name);
            await cpu.PrintAsync(name, result.Operations);
            (await PostgresWrites.ReadAsync(cluster.Database)).PrintPerOperation(name, before, result.Operations, settings);
        }
    }

    private static AcquireRequest Request(string owner, TimeSpan maxWait) => new()
    {
        Owner = owner,
        Mode = LockMode.Exclusive,
        Ttl = TimeSpan.FromSeconds(30),
        MaxWait = maxWait,
        RequestId = Guid.NewGuid().ToString("N"),
    };
}

/// <summary>PostgreSQL's own counters: commits in the database and rows written per table (what each cycle costs in storage).</summary>
internal sealed record PostgresWrites(long Commits, IReadOnlyDictionary<string, long> RowWrites)
{
    public static async Task<PostgresWrites> ReadAsync(string database)
    {
        // Backends publish their counters when idle for a moment; give them that moment.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        long commits;
        await using (var command = new NpgsqlCommand("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()", connection))
        {
            commits = (long)(await command.ExecuteScalarAsync())!;
        }

        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        return new PostgresWrites(commits, rows);
    }

    /// <summary>Counters grow during warm-up and the drain too, so this is per measured operation plus a little: an upper bound.</summary>
    public void PrintPerOperation(string name, PostgresWrites before, long operations, BenchSettings settings)
    {
        var total = operations * (1 + (settings.Warmup / settings.Duration));
        if (total <= 0)
        {
            return;
        }

        Console.WriteLine($"{name}_pg_commits_per_op {(Commits - before.Commits) / total:F2} commits/op");
        foreach (var (table, count) in RowWrites.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var delta = count - before.RowWrites.GetValueOrDefault(table);
            if (delta > 0)
            {
                Console.WriteLine($"{name}_pg_rows_{table}_per_op {delta / total:F2} rows/op");
            }
        }
    }
}
