using Baton.Postgres;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace Baton.Tests.Postgres;

[Collection("postgres")]
public sealed class MigrationTests(PostgresFixture postgres)
{
    private static readonly int EmbeddedMigrationCount =
        typeof(PostgresSchema).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));

    [Fact]
    public async Task A_fresh_database_gets_every_query_key_the_Orleans_providers_require()
    {
        var database = await postgres.CreateDatabaseAsync();

        await PostgresSchema.MigrateAsync(database, new RecordingLogger());

        var queries = await StoredQueries.LoadAsync(database);
        Assert.Equal(OrleansContract.Keys.Order(StringComparer.Ordinal), queries.Texts.Keys.Order(StringComparer.Ordinal));
        Assert.All(queries.Texts.Values, text => Assert.False(string.IsNullOrWhiteSpace(text)));
    }

    [Fact]
    public async Task The_persistence_loader_query_finds_its_four_keys()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, new RecordingLogger());

        // Verbatim what AdoNetGrainStorage runs at Init.
        const string sql = "SELECT QueryKey, QueryText FROM OrleansQuery WHERE QueryKey = 'WriteToStorageKey' OR QueryKey = 'ReadFromStorageKey' OR QueryKey = 'ClearStorageKey' OR QueryKey = 'DeleteStorageKey'";
        var keys = await QueryListAsync(database, sql);

        Assert.Equal(["ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey"], keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Every_stored_query_uses_only_the_parameters_Orleans_binds_for_its_key()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, new RecordingLogger());
        var queries = await StoredQueries.LoadAsync(database);

        foreach (var (key, text) in queries.Texts)
        {
            var used = System.Text.RegularExpressions.Regex.Matches(text, @"[@:](?<name>[A-Za-z_][A-Za-z0-9_]*)")
                .Where(m => m.Value[0] == '@' || !IsCast(text, m.Index))
                .Select(m => m.Groups["name"].Value)
                .Distinct(StringComparer.OrdinalIgnoreCase);
            var bound = OrleansContract.BoundParameters[key];

            // Npgsql matches parameter names case-insensitively.
            Assert.All(used, name => Assert.True(
                bound.Contains(name, StringComparer.OrdinalIgnoreCase),
                $"{key} uses @{name}, which Orleans does not bind for it (bound: {string.Join(", ", bound)})."));
        }

        static bool IsCast(string text, int index) => index > 0 && text[index - 1] == ':' || index + 1 < text.Length && text[index + 1] == ':';
    }

    [Fact]
    public async Task Running_the_migration_again_changes_nothing()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, new RecordingLogger());
        var queriesBefore = await QueryListAsync(database, "SELECT querykey || '=' || querytext FROM orleansquery ORDER BY querykey");
        var versionsBefore = await QueryListAsync(database, $"SELECT id || ' ' || name || ' ' || checksum || ' ' || applied_at FROM {PostgresSchema.VersionTable} ORDER BY id");

        var logger = new RecordingLogger();
        await PostgresSchema.MigrateAsync(database, logger);

        Assert.Equal(queriesBefore, await QueryListAsync(database, "SELECT querykey || '=' || querytext FROM orleansquery ORDER BY querykey"));
        Assert.Equal(versionsBefore, await QueryListAsync(database, $"SELECT id || ' ' || name || ' ' || checksum || ' ' || applied_at FROM {PostgresSchema.VersionTable} ORDER BY id"));
        Assert.Equal(EmbeddedMigrationCount, versionsBefore.Count);
        Assert.DoesNotContain(logger.Entries, e => e.Message.StartsWith("Applied schema migration", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Three_silos_migrating_a_fresh_database_at_once_all_succeed_and_each_migration_is_applied_once()
    {
        var database = await postgres.CreateDatabaseAsync();
        var loggers = Enumerable.Range(0, 3).Select(_ => new RecordingLogger()).ToArray();
        using var start = new Barrier(loggers.Length);

        await Task.WhenAll(loggers.Select(logger => Task.Run(async () =>
        {
            start.SignalAndWait();
            await PostgresSchema.MigrateAsync(database, logger);
        })));

        var applied = loggers
            .SelectMany(l => l.Entries)
            .Where(e => e.Level == LogLevel.Information && e.Message.StartsWith("Applied schema migration", StringComparison.Ordinal))
            .Select(e => e.Message.Split(' ')[3])
            .ToList();
        Assert.Equal(EmbeddedMigrationCount, applied.Count);
        Assert.Equal(applied.Count, applied.Distinct().Count());
        Assert.Equal(
            Enumerable.Range(1, EmbeddedMigrationCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            await QueryListAsync(database, $"SELECT id::text AS applied FROM {PostgresSchema.VersionTable} ORDER BY id"));
        Assert.Equal(OrleansContract.Keys.Count, (await StoredQueries.LoadAsync(database)).Texts.Count);
    }

    [Fact]
    public async Task The_storage_identity_is_unique_so_a_repeated_first_write_is_a_conflict_and_not_an_error()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, new RecordingLogger());
        var queries = await StoredQueries.LoadAsync(database);
        QueryParameter[] firstWrite =
        [
            QueryParameter.Of("GrainIdHash", 42),
            QueryParameter.Of("GrainIdN0", 0L),
            QueryParameter.Of("GrainIdN1", 7L),
            QueryParameter.Of("GrainTypeHash", -5),
            QueryParameter.Of("GrainTypeString", "state"),
            QueryParameter.Of<string?>("GrainIdExtensionString", null),
            QueryParameter.Of("ServiceId", "svc"),
            QueryParameter.Of<int?>("GrainStateVersion", null),
            QueryParameter.Of("PayloadBinary", new byte[] { 1 }),
        ];

        var first = Assert.Single(await queries.ReadAsync("WriteToStorageKey", firstWrite));
        var second = Assert.Single(await queries.ReadAsync("WriteToStorageKey", firstWrite));

        Assert.Equal(1, first["NewGrainStateVersion"]);
        Assert.Null(second["NewGrainStateVersion"]);
        Assert.Equal(["1"], await QueryListAsync(database, "SELECT count(*)::text FROM orleansstorage"));

        // The index itself, not just the query, refuses a second row with a NULL extension.
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => QueryListAsync(
            database,
            "INSERT INTO orleansstorage (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring, serviceid, payloadbinary, version) " +
            "VALUES (42, 0, 7, -5, 'state', NULL, 'svc', NULL, 9) RETURNING 'inserted'"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
    }

    [Fact]
    public async Task A_changed_checksum_of_an_applied_migration_is_reported_with_its_name()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, new RecordingLogger());
        await QueryListAsync(database, $"UPDATE {PostgresSchema.VersionTable} SET checksum = 'edited' WHERE id = 2 RETURNING name");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSchema.MigrateAsync(database, new RecordingLogger()));

        Assert.Contains("0002_orleans_clustering", error.Message, StringComparison.Ordinal);
        Assert.Contains("checksum edited", error.Message, StringComparison.Ordinal);
        Assert.Contains("must never change", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_migration_log_names_each_applied_migration_and_never_the_password()
    {
        const string password = "s3cret-never-logged";
        var database = await postgres.CreateDatabaseAsync();
        var withPassword = new NpgsqlConnectionStringBuilder(database) { Password = password }.ConnectionString;
        var logger = new RecordingLogger();

        await PostgresSchema.MigrateAsync(withPassword, logger);

        var applied = logger.Entries.Where(e => e.Level == LogLevel.Information && e.Message.StartsWith("Applied schema migration", StringComparison.Ordinal)).ToList();
        Assert.Equal(EmbeddedMigrationCount, applied.Count);
        Assert.Contains(applied, e => e.Message.Contains("0001_orleans_query_table", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Entries, e => e.Message.Contains(password, StringComparison.Ordinal));
    }

    private static async Task<List<string>> QueryListAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
