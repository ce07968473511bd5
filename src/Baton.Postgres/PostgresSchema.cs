using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Baton.Postgres;

/// <summary>
/// Creates or migrates Baton's PostgreSQL schema: the Orleans ADO.NET query contract
/// (clustering, persistence, reminders) and Baton's own tables. Idempotent, and safe when
/// several silos start at once.
/// </summary>
/// <remarks>
/// Migrations are the embedded <c>Sql/NNNN_name.sql</c> scripts, applied in order, each in its own
/// transaction together with its row in <c>baton_schema_version</c>. Every transaction first takes
/// a transaction-scoped advisory lock on a fixed key and re-reads the version table, so concurrent
/// migrators queue up and each migration is applied exactly once; the lock ends with the
/// transaction, so nothing stays held on a pooled connection.
/// </remarks>
public static class PostgresSchema
{
    /// <summary>The advisory lock key all Baton migrators share ("batonsch" in ASCII).</summary>
    internal const long MigrationLockKey = 0x6261_746F_6E73_6368;

    /// <summary>The table that records applied migrations.</summary>
    public const string VersionTable = "baton_schema_version";

    // Waiting for a peer's migration counts against the command timeout, so allow for a slow one.
    private const int CommandTimeoutSeconds = 300;

    /// <summary>
    /// Applies every migration this build carries that the database does not have yet.
    /// Throws <see cref="InvalidOperationException"/> when an applied migration's checksum or name
    /// differs from this build's script.
    /// </summary>
    public static async Task MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);

        var scripts = SchemaMigrationScript.All;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        await EnsureVersionTableAsync(connection, cancellationToken);

        // A first look without the lock: a database that is up to date needs no lock at all.
        var recorded = await ReadRecordedAsync(connection, transaction: null, cancellationToken);
        foreach (var script in scripts)
        {
            if (recorded.TryGetValue(script.Id, out var row))
            {
                Verify(script, row);
            }
        }

        foreach (var (id, row) in recorded.Where(r => r.Key > scripts.Count))
        {
            logger.LogWarning(
                "The database has schema migration {MigrationId:D4}_{MigrationName}, which this build does not carry (a newer Baton applied it); continuing",
                id,
                row.Name);
        }

        var applied = 0;
        foreach (var script in scripts.Where(s => !recorded.ContainsKey(s.Id)))
        {
            if (await ApplyAsync(connection, script, logger, cancellationToken))
            {
                applied++;
            }
        }

        logger.LogInformation(
            "PostgreSQL schema is at migration {MigrationId:D4} ({AppliedCount} applied now, {MigrationCount} in this build)",
            scripts.Count == 0 ? 0 : scripts[^1].Id,
            applied,
            scripts.Count);
    }

    private static async Task EnsureVersionTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // CREATE TABLE IF NOT EXISTS is not safe against a concurrent creator (it can fail on the
        // catalog's unique index), so it runs under the same lock as the migrations.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);
        await using (var create = new NpgsqlCommand(
            $"""
            CREATE TABLE IF NOT EXISTS {VersionTable} (
                id         integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            connection,
            transaction))
        {
            create.CommandTimeout = CommandTimeoutSeconds;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Returns true if this call applied the migration, false if a peer had already.</summary>
    private static async Task<bool> ApplyAsync(NpgsqlConnection connection, SchemaMigrationScript script, ILogger logger, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);

        var recorded = await ReadRecordedAsync(connection, transaction, cancellationToken);
        if (recorded.TryGetValue(script.Id, out var row))
        {
            Verify(script, row);
            await transaction.CommitAsync(cancellationToken);
            logger.LogDebug("Schema migration {Migration} was applied by another migrator meanwhile", script.Label);
            return false;
        }

        await using (var migrate = new NpgsqlCommand(script.Sql, connection, transaction))
        {
            migrate.CommandTimeout = CommandTimeoutSeconds;
            await migrate.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var record = new NpgsqlCommand(
            $"INSERT INTO {VersionTable} (id, name, checksum, applied_at) VALUES (@id, @name, @checksum, now())",
            connection,
            transaction))
        {
            record.Parameters.AddWithValue("id", script.Id);
            record.Parameters.AddWithValue("name", script.Name);
            record.Parameters.AddWithValue("checksum", script.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Applied schema migration {Migration} in {ElapsedMs} ms", script.Label, stopwatch.ElapsedMilliseconds);
        return true;
    }

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction);
        command.CommandTimeout = CommandTimeoutSeconds;
        command.Parameters.AddWithValue("key", MigrationLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Dictionary<int, RecordedMigration>> ReadRecordedAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT id, name, checksum FROM {VersionTable}", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var recorded = new Dictionary<int, RecordedMigration>();
        while (await reader.ReadAsync(cancellationToken))
        {
            recorded.Add(reader.GetInt32(0), new RecordedMigration(reader.GetString(1), reader.GetString(2)));
        }

        return recorded;
    }

    private static void Verify(SchemaMigrationScript script, RecordedMigration recorded)
    {
        if (recorded.Name != script.Name || recorded.Checksum != script.Checksum)
        {
            throw new InvalidOperationException(
                $"Schema migration {script.Id:D4} was applied to this database as '{recorded.Label(script.Id)}' with checksum {recorded.Checksum}, " +
                $"but this build carries '{script.Label}' with checksum {script.Checksum}. " +
                $"An applied migration must never change: restore the original script and put the change in a new migration. " +
                $"(Recorded in table {VersionTable}.)");
        }
    }

    private sealed record RecordedMigration(string Name, string Checksum)
    {
        public string Label(int id) => $"{id:D4}_{Name}";
    }
}
