using Npgsql;

namespace Baton.Benchmarks.Harness;

/// <summary>
/// PostgreSQL's own counters, read before and after a case to say what each operation cost in storage: commits
/// (every committed transaction, reads included), write transactions (transaction ids assigned: only a transaction
/// that writes gets one), WAL bytes and WAL syncs (fsyncs of the log; group commit lets one cover several commits),
/// and rows written (inserted, updated or deleted) per table.
/// </summary>
public sealed record PostgresWrites(long Commits, long WriteTransactions, long WalBytes, long WalSyncs, IReadOnlyDictionary<string, long> RowWrites)
{
    /// <summary>
    /// Counters as they stand after <paramref name="settle"/> (1.5 s unless given). The transaction id and the WAL
    /// position are exact at once; the others are statistics a backend publishes at most once a second while busy, and
    /// what is left when it goes idle only after 10 s idle (PostgreSQL 15's PGSTAT_IDLE_INTERVAL): the default settle
    /// can miss up to about the last second of a case. Pass 11 s or more for exact figures.
    /// </summary>
    public static async Task<PostgresWrites> ReadAsync(string database, TimeSpan? settle = null)
    {
        await Task.Delay(settle ?? TimeSpan.FromSeconds(1.5));
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        long commits, xids, walBytes, walSyncs;
        await using (var command = new NpgsqlCommand(
            """
            SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
                   pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
                   pg_current_wal_lsn() - '0/0'::pg_lsn,
                   (SELECT wal_sync FROM pg_stat_wal)
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            commits = reader.GetInt64(0);
            xids = reader.GetInt64(1);
            walBytes = (long)reader.GetDecimal(2);
            walSyncs = reader.GetInt64(3);
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

        return new PostgresWrites(commits, xids, walBytes, walSyncs, rows);
    }

    /// <summary>Counters grow during warm-up and the drain too, so this is per measured operation plus a little: an upper bound.</summary>
    public void PrintPerOperation(string name, PostgresWrites before, long operations, BenchSettings settings) =>
        PrintPerOperation(name, before, operations * (1 + (settings.Warmup / settings.Duration)));

    /// <summary>Per operation when <paramref name="total"/> is every operation the counters saw (warm-up and drain included).</summary>
    public void PrintPerOperation(string name, PostgresWrites before, double total)
    {
        if (total <= 0)
        {
            return;
        }

        Console.WriteLine($"{name}_pg_commits_per_op {(Commits - before.Commits) / total:F2} commits/op");
        Console.WriteLine($"{name}_pg_write_xacts_per_op {(WriteTransactions - before.WriteTransactions) / total:F2} xacts/op");
        Console.WriteLine($"{name}_pg_wal_bytes_per_op {(WalBytes - before.WalBytes) / total:F0} bytes/op");
        Console.WriteLine($"{name}_pg_wal_syncs_per_op {(WalSyncs - before.WalSyncs) / total:F2} syncs/op");
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
