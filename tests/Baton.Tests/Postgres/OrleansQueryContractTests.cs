using Baton.Postgres;
using Baton.Tests.Infrastructure;
using Npgsql;
using Xunit;
using static Baton.Tests.Postgres.QueryParameter;

namespace Baton.Tests.Postgres;

/// <summary>
/// Runs the stored queries directly, with exactly the parameter names and .NET types Orleans
/// 10.4.2 binds for each key, and checks the results the providers' C# expects. Each test gets
/// a freshly migrated database.
/// </summary>
[Collection("postgres")]
public sealed class OrleansQueryContractTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Deployment = "baton-test";
    private const string Service = "baton-service";

    private static readonly DateTime T0 = new(2026, 8, 1, 12, 0, 0, 123, 456, DateTimeKind.Utc);

    private static readonly Silo SiloA = new("10.0.0.1", 11111, 1, "silo-a", "host-a", 30000, T0);
    private static readonly Silo SiloB = new("10.0.0.2", 11111, 1, "silo-b", "host-b", 30000, T0.AddSeconds(1));
    private static readonly Silo SiloC = new("fe80::1ff:fe23:4567:890a", 11112, 7, "silo-c", "host-c", 0, T0.AddSeconds(2));

    private string _database = string.Empty;
    private StoredQueries _queries = null!;

    public async Task InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(_database, new RecordingLogger());
        _queries = await StoredQueries.LoadAsync(_database);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    // ---------------------------------------------------------------- clustering

    [Fact]
    public async Task Inserting_the_membership_version_row_reports_created_once_then_not_created()
    {
        Assert.True(await _queries.ReadBooleanAsync("InsertMembershipVersionKey", Of("DeploymentId", Deployment)));
        Assert.False(await _queries.ReadBooleanAsync("InsertMembershipVersionKey", Of("DeploymentId", Deployment)));

        Assert.Equal(0, await TableVersionAsync());
    }

    [Fact]
    public async Task Reading_all_of_a_deployment_without_members_returns_one_row_with_the_version_and_no_start_time()
    {
        await CreateVersionRowAsync();

        var row = Assert.Single(await ReadAllAsync());

        Assert.Equal(0, Convert.ToInt32(row["Version"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(row["StartTime"]);
    }

    [Fact]
    public async Task Inserting_a_member_at_the_current_version_adds_it_and_bumps_the_version()
    {
        await CreateVersionRowAsync();

        Assert.True(await InsertAsync(SiloA, version: 0));

        var row = Assert.Single(await ReadAllAsync());
        Assert.Equal(SiloA.Address, row["Address"]);
        Assert.Equal(SiloA.Port, row["Port"]);
        Assert.Equal(SiloA.Generation, row["Generation"]);
        Assert.Equal(SiloA.Name, row["SiloName"]);
        Assert.Equal(SiloA.Host, row["HostName"]);
        Assert.Equal(OrleansContract.ActiveStatus, row["Status"]);
        Assert.Equal(SiloA.ProxyPort, row["ProxyPort"]);
        Assert.Null(row["SuspectTimes"]);
        Assert.Equal(SiloA.StartTime, row["StartTime"]);
        Assert.Equal(DateTimeKind.Utc, ((DateTime)row["StartTime"]!).Kind);
        Assert.Equal(SiloA.StartTime.AddSeconds(5), row["IAmAliveTime"]);
        Assert.Equal(1, row["Version"]);
    }

    [Fact]
    public async Task Every_row_of_a_membership_read_carries_the_table_version()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await InsertAsync(SiloB, version: 1));
        Assert.True(await InsertAsync(SiloC, version: 2));

        var rows = await ReadAllAsync();

        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(3, r["Version"]));
        Assert.Equal([SiloA.Name, SiloB.Name, SiloC.Name], rows.Select(r => (string)r["SiloName"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Inserting_a_member_at_a_stale_version_changes_nothing()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));

        Assert.False(await InsertAsync(SiloB, version: 0));

        Assert.Equal(1, await TableVersionAsync());
        Assert.Equal([SiloA.Name], (await ReadAllAsync()).Select(r => r["SiloName"]));
    }

    [Fact]
    public async Task Inserting_a_silo_that_is_already_a_member_changes_nothing_even_at_the_current_version()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));

        Assert.False(await InsertAsync(SiloA with { Name = "impostor" }, version: 1));

        Assert.Equal(1, await TableVersionAsync());
        Assert.Equal([SiloA.Name], (await ReadAllAsync()).Select(r => r["SiloName"]));
    }

    [Fact]
    public async Task Inserting_into_a_deployment_without_a_version_row_changes_nothing()
    {
        Assert.False(await InsertAsync(SiloA, version: 0));

        Assert.Empty(await ReadAllAsync());
    }

    [Fact]
    public async Task Concurrent_inserts_at_the_same_version_let_exactly_one_win()
    {
        await CreateVersionRowAsync();
        var silos = Enumerable.Range(1, 8).Select(i => SiloA with { Address = $"10.0.1.{i}", Name = $"silo-{i}" }).ToArray();

        var results = await Task.WhenAll(silos.Select(s => Task.Run(() => InsertAsync(s, version: 0))));

        Assert.Single(results, r => r);
        Assert.Equal(1, await TableVersionAsync());
        Assert.Single(await ReadAllAsync());
    }

    [Fact]
    public async Task Updating_a_member_at_the_current_version_changes_status_suspicions_and_alive_time_and_bumps_the_version()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        var suspicions = $"S{SiloB.Address}:{SiloB.Port}@{SiloB.Generation},2026-08-01 12:00:09.000 GMT";
        var aliveAt = T0.AddMinutes(1);

        Assert.True(await UpdateAsync(SiloA, OrleansContract.DeadStatus, suspicions, aliveAt, version: 1));

        var row = Assert.Single(await ReadAllAsync());
        Assert.Equal(OrleansContract.DeadStatus, row["Status"]);
        Assert.Equal(suspicions, row["SuspectTimes"]);
        Assert.Equal(aliveAt, row["IAmAliveTime"]);
        Assert.Equal(2, row["Version"]);
        Assert.Equal(SiloA.Name, row["SiloName"]);
        Assert.Equal(SiloA.Host, row["HostName"]);
        Assert.Equal(SiloA.ProxyPort, row["ProxyPort"]);
        Assert.Equal(SiloA.StartTime, row["StartTime"]);
    }

    [Fact]
    public async Task Updating_a_member_with_null_suspicions_clears_them()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await UpdateAsync(SiloA, OrleansContract.ActiveStatus, "some,votes", T0, version: 1));

        Assert.True(await UpdateAsync(SiloA, OrleansContract.ActiveStatus, null, T0, version: 2));

        Assert.Null(Assert.Single(await ReadAllAsync())["SuspectTimes"]);
    }

    [Fact]
    public async Task Updating_a_member_at_a_stale_version_changes_nothing()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await InsertAsync(SiloB, version: 1));

        Assert.False(await UpdateAsync(SiloA, OrleansContract.DeadStatus, "x", T0.AddHours(1), version: 1));

        Assert.Equal(2, await TableVersionAsync());
        var row = (await ReadAllAsync()).Single(r => (string?)r["SiloName"] == SiloA.Name);
        Assert.Equal(OrleansContract.ActiveStatus, row["Status"]);
        Assert.Null(row["SuspectTimes"]);
        Assert.Equal(SiloA.StartTime.AddSeconds(5), row["IAmAliveTime"]);
    }

    [Fact]
    public async Task Updating_a_silo_that_is_not_a_member_changes_nothing_and_keeps_the_version()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));

        Assert.False(await UpdateAsync(SiloB, OrleansContract.DeadStatus, null, T0, version: 1));

        Assert.Equal(1, await TableVersionAsync());
        Assert.Single(await ReadAllAsync());
    }

    [Fact]
    public async Task Concurrent_updates_at_the_same_version_let_exactly_one_win()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await InsertAsync(SiloB, version: 1));

        var results = await Task.WhenAll(
            Enumerable.Range(0, 6).Select(i => Task.Run(() => UpdateAsync(i % 2 == 0 ? SiloA : SiloB, OrleansContract.DeadStatus, $"vote-{i}", T0, version: 2))));

        Assert.Single(results, r => r);
        Assert.Equal(3, await TableVersionAsync());
        Assert.Single(await ReadAllAsync(), r => r["SuspectTimes"] is not null);
    }

    [Fact]
    public async Task The_heartbeat_changes_only_the_alive_time_and_never_the_version()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        var aliveAt = T0.AddMinutes(3);

        await _queries.ReadAsync("UpdateIAmAlivetimeKey", [.. SiloKey(SiloA), Of("IAmAliveTime", aliveAt)]);

        var row = Assert.Single(await ReadAllAsync());
        Assert.Equal(aliveAt, row["IAmAliveTime"]);
        Assert.Equal(OrleansContract.ActiveStatus, row["Status"]);
        Assert.Equal(1, row["Version"]);
    }

    [Fact]
    public async Task Reading_one_row_returns_that_silo_with_the_version_or_nulls_when_it_is_absent()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await InsertAsync(SiloB, version: 1));

        var present = Assert.Single(await _queries.ReadAsync("MembershipReadRowKey", SiloKey(SiloB)));
        var absent = Assert.Single(await _queries.ReadAsync("MembershipReadRowKey", SiloKey(SiloC)));

        Assert.Equal(SiloB.Name, present["SiloName"]);
        Assert.Equal(2, present["Version"]);
        Assert.Null(absent["StartTime"]);
        Assert.Null(absent["Address"]);
        Assert.Equal(2, absent["Version"]);
    }

    [Fact]
    public async Task Gateways_are_the_silos_with_the_asked_status_and_a_proxy_port()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await InsertAsync(SiloB, version: 1));
        Assert.True(await InsertAsync(SiloC, version: 2)); // active, but no gateway (proxy port 0)
        Assert.True(await UpdateAsync(SiloB, OrleansContract.DeadStatus, null, T0, version: 3));

        var gateways = await _queries.ReadAsync("GatewaysQueryKey", Of("DeploymentId", Deployment), Of("Status", OrleansContract.ActiveStatus));

        var gateway = Assert.Single(gateways);
        Assert.Equal(SiloA.Address, gateway["Address"]);
        Assert.Equal(SiloA.ProxyPort, gateway["ProxyPort"]);
        Assert.Equal(SiloA.Generation, gateway["Generation"]);
    }

    [Fact]
    public async Task Defunct_cleanup_deletes_only_dead_silos_silent_since_before_the_cutoff_and_keeps_the_version()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await InsertAsync(SiloB, version: 1));
        Assert.True(await InsertAsync(SiloC, version: 2));
        Assert.True(await UpdateAsync(SiloA, OrleansContract.DeadStatus, null, T0, version: 3));                 // dead, old: goes
        Assert.True(await UpdateAsync(SiloB, OrleansContract.DeadStatus, null, T0.AddHours(2), version: 4));     // dead, recent: stays
        Assert.True(await UpdateAsync(SiloC, OrleansContract.ActiveStatus, null, T0, version: 5));               // alive, old: stays

        await _queries.ReadAsync("CleanupDefunctSiloEntriesKey", Of("DeploymentId", Deployment), Of("IAmAliveTime", T0.AddHours(1)));

        Assert.Equal([SiloB.Name, SiloC.Name], (await ReadAllAsync()).Select(r => (string)r["SiloName"]!).Order(StringComparer.Ordinal));
        Assert.Equal(6, await TableVersionAsync());
    }

    [Fact]
    public async Task Single_entry_cleanup_deletes_a_dead_row_only_while_it_is_exactly_as_read()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await InsertAsync(SiloB, version: 1));
        Assert.True(await InsertAsync(SiloC, version: 2));
        Assert.True(await UpdateAsync(SiloA, OrleansContract.DeadStatus, null, T0, version: 3));
        Assert.True(await UpdateAsync(SiloB, OrleansContract.DeadStatus, "votes", T0, version: 4));

        // Stale reads: suspicions and alive time differ from what is stored, and C is not dead.
        await CleanupEntryAsync(SiloA, suspectTimes: "votes", T0);
        await CleanupEntryAsync(SiloB, suspectTimes: null, T0);
        await CleanupEntryAsync(SiloB, suspectTimes: "votes", T0.AddTicks(10));
        await CleanupEntryAsync(SiloC, suspectTimes: null, SiloC.StartTime.AddSeconds(5));
        Assert.Equal(3, (await ReadAllAsync()).Count);

        await CleanupEntryAsync(SiloA, suspectTimes: null, T0);
        await CleanupEntryAsync(SiloB, suspectTimes: "votes", T0);

        Assert.Equal([SiloC.Name], (await ReadAllAsync()).Select(r => r["SiloName"]));
        Assert.Equal(5, await TableVersionAsync());
    }

    [Fact]
    public async Task Deleting_a_deployment_removes_its_members_and_version_row_and_leaves_other_deployments()
    {
        await CreateVersionRowAsync();
        Assert.True(await InsertAsync(SiloA, version: 0));
        Assert.True(await _queries.ReadBooleanAsync("InsertMembershipVersionKey", Of("DeploymentId", "other")));
        Assert.True(await InsertAsync(SiloA, version: 0, deployment: "other"));

        await _queries.ReadAsync("DeleteMembershipTableEntriesKey", Of("DeploymentId", Deployment));

        Assert.Empty(await ReadAllAsync());
        Assert.Single(await ReadAllAsync("other"));
        Assert.True(await _queries.ReadBooleanAsync("InsertMembershipVersionKey", Of("DeploymentId", Deployment)));
    }

    // ---------------------------------------------------------------- persistence

    [Fact]
    public async Task Reading_a_grain_that_was_never_written_returns_no_rows()
    {
        Assert.Empty(await _queries.ReadAsync("ReadFromStorageKey", Grain.Identity));
    }

    [Fact]
    public async Task A_first_write_stores_version_1_and_a_read_returns_the_payload_and_the_version()
    {
        Assert.Equal(1, await WriteAsync(Grain, null, [1, 2, 3]));

        var row = Assert.Single(await _queries.ReadAsync("ReadFromStorageKey", Grain.Identity));
        Assert.Equal(new byte[] { 1, 2, 3 }, row["PayloadBinary"]);
        Assert.Equal(1, Convert.ToInt32(row["Version"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_write_at_the_current_version_bumps_it_and_a_stale_version_is_a_conflict_that_changes_nothing()
    {
        Assert.Equal(1, await WriteAsync(Grain, null, [1]));
        Assert.Equal(2, await WriteAsync(Grain, 1, [2]));

        Assert.Null(await WriteAsync(Grain, 1, [99]));
        Assert.Null(await WriteAsync(Grain, 5, [99]));

        var row = Assert.Single(await _queries.ReadAsync("ReadFromStorageKey", Grain.Identity));
        Assert.Equal(new byte[] { 2 }, row["PayloadBinary"]);
        Assert.Equal(2, row["Version"]);
    }

    [Fact]
    public async Task A_write_with_a_version_to_a_grain_that_has_no_row_is_a_conflict()
    {
        Assert.Null(await WriteAsync(Grain, 3, [1]));

        Assert.Empty(await _queries.ReadAsync("ReadFromStorageKey", Grain.Identity));
    }

    [Fact]
    public async Task Concurrent_first_writes_store_exactly_one_row_and_the_others_get_a_conflict()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => WriteAsync(Grain, null, [(byte)i]))));

        Assert.Single(results, r => r == 1);
        Assert.Equal(7, results.Count(r => r is null));
        Assert.Single(await _queries.ReadAsync("ReadFromStorageKey", Grain.Identity));
    }

    [Fact]
    public async Task Clearing_keeps_the_row_with_no_payload_and_a_new_version_and_a_stale_clear_returns_no_row()
    {
        Assert.Equal(1, await WriteAsync(Grain, null, [1]));
        Assert.Equal(2, await WriteAsync(Grain, 1, [2]));

        Assert.Empty(await _queries.ReadAsync("ClearStorageKey", [.. Grain.Identity, Of<int?>("GrainStateVersion", 1)]));
        var cleared = Assert.Single(await _queries.ReadAsync("ClearStorageKey", [.. Grain.Identity, Of<int?>("GrainStateVersion", 2)]));

        Assert.Equal("3", cleared[0]!.ToString());
        var row = Assert.Single(await _queries.ReadAsync("ReadFromStorageKey", Grain.Identity));
        Assert.Null(row["PayloadBinary"]);
        Assert.Equal(3, row["Version"]);
        Assert.Equal(4, await WriteAsync(Grain, 3, [4]));
    }

    [Fact]
    public async Task Deleting_removes_the_row_and_returns_a_value_other_than_the_sent_version_and_a_stale_delete_returns_no_row()
    {
        Assert.Equal(1, await WriteAsync(Grain, null, [1]));
        Assert.Equal(2, await WriteAsync(Grain, 1, [2]));

        Assert.Empty(await _queries.ReadAsync("DeleteStorageKey", [.. Grain.Identity, Of<int?>("GrainStateVersion", 1)]));
        var deleted = Assert.Single(await _queries.ReadAsync("DeleteStorageKey", [.. Grain.Identity, Of<int?>("GrainStateVersion", 2)]));

        Assert.NotEqual("2", deleted[0]!.ToString());
        Assert.Empty(await _queries.ReadAsync("ReadFromStorageKey", Grain.Identity));
        Assert.Equal(1, await WriteAsync(Grain, null, [3]));
    }

    [Fact]
    public async Task The_storage_identity_is_all_seven_values_with_a_null_safe_key_extension()
    {
        GrainRow[] grains =
        [
            Grain,
            Grain with { IdHash = Grain.IdHash + 1 },
            Grain with { N0 = 1 },
            Grain with { N1 = 8 },
            Grain with { TypeHash = Grain.TypeHash + 1 },
            Grain with { TypeString = "other-state" },
            Grain with { Extension = "ext" },
            Grain with { Extension = string.Empty },
            Grain with { ServiceId = "other-service" },
        ];

        for (var i = 0; i < grains.Length; i++)
        {
            Assert.Equal(1, await WriteAsync(grains[i], null, [(byte)i]));
        }

        for (var i = 0; i < grains.Length; i++)
        {
            var row = Assert.Single(await _queries.ReadAsync("ReadFromStorageKey", grains[i].Identity));
            Assert.Equal(new[] { (byte)i }, row["PayloadBinary"]);
        }
    }

    // ---------------------------------------------------------------- reminders

    [Fact]
    public async Task Upserting_a_new_reminder_returns_version_0_and_every_upsert_returns_a_new_version()
    {
        Assert.Equal(0, await UpsertAsync("grain/1", "tick", 1));
        Assert.Equal(1, await UpsertAsync("grain/1", "tick", 1));
        Assert.Equal(2, await UpsertAsync("grain/1", "tick", 2, period: 5_000));
        Assert.Equal(0, await UpsertAsync("grain/1", "tock", 1));

        var row = Assert.Single(await ReadReminderAsync("grain/1", "tick"));
        Assert.Equal(2, row["Version"]);
        Assert.Equal(5_000L, Convert.ToInt64(row["Period"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_reminder_period_beyond_the_int32_range_round_trips_in_milliseconds()
    {
        var thirtyDays = (long)TimeSpan.FromDays(30).TotalMilliseconds;
        Assert.True(thirtyDays > int.MaxValue);

        await _queries.ReadAsync("UpsertReminderRowKey", ReminderParameters("grain/1", "monthly", 1, Of("Period", thirtyDays)));
        await _queries.ReadAsync("UpsertReminderRowKey", ReminderParameters("grain/1", "minutely", 1, Of("Period", 60_000)));

        Assert.Equal(thirtyDays, Convert.ToInt64(Assert.Single(await ReadReminderAsync("grain/1", "monthly"))["Period"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(60_000L, Convert.ToInt64(Assert.Single(await ReadReminderAsync("grain/1", "minutely"))["Period"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_reminder_reads_back_with_its_grain_id_byte_exact_and_its_start_time_in_utc()
    {
        const string grainId = "lock/repo:acme/Web-ÄÖ#1";
        await UpsertAsync(grainId, "lease-expiry", 1);

        var row = Assert.Single(await ReadReminderAsync(grainId, "lease-expiry"));

        Assert.Equal(grainId, row["GrainId"]);
        Assert.Equal("lease-expiry", row["ReminderName"]);
        Assert.Equal(T0, row["StartTime"]);
        Assert.Equal(DateTimeKind.Utc, ((DateTime)row["StartTime"]!).Kind);
    }

    [Fact]
    public async Task Deleting_a_reminder_needs_its_current_version()
    {
        Assert.Equal(0, await UpsertAsync("grain/1", "tick", 1));
        Assert.Equal(1, await UpsertAsync("grain/1", "tick", 1));

        Assert.False(await DeleteReminderAsync("grain/1", "tick", version: 0));
        Assert.Single(await ReadReminderAsync("grain/1", "tick"));

        Assert.True(await DeleteReminderAsync("grain/1", "tick", version: 1));
        Assert.Empty(await ReadReminderAsync("grain/1", "tick"));
        Assert.False(await DeleteReminderAsync("grain/1", "tick", version: 1));
    }

    [Fact]
    public async Task Reading_a_grains_reminders_returns_only_that_grain_in_that_service()
    {
        await UpsertAsync("grain/1", "a", 1);
        await UpsertAsync("grain/1", "b", 1);
        await UpsertAsync("grain/2", "a", 2);
        await _queries.ReadAsync("UpsertReminderRowKey", ReminderParameters("grain/1", "c", 1, Of("Period", 1_000), service: "other"));

        var rows = await _queries.ReadAsync("ReadReminderRowsKey", Of("ServiceId", Service), Of("GrainId", "grain/1"));

        Assert.Equal(["a", "b"], rows.Select(r => (string)r["ReminderName"]!).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal("grain/1", r["GrainId"]));
    }

    [Fact]
    public async Task Reading_a_missing_reminder_returns_no_rows()
    {
        await UpsertAsync("grain/1", "a", 1);

        Assert.Empty(await ReadReminderAsync("grain/1", "b"));
        Assert.Empty(await ReadReminderAsync("grain/2", "a"));
    }

    [Fact]
    public async Task A_range_that_does_not_wrap_is_begin_exclusive_and_end_inclusive()
    {
        await SeedRingAsync();

        Assert.Equal(["h0", "h5"], await ReadRangeAsync(unchecked((uint)-5), 5));
        Assert.Equal(["h2e9", "h5", "hMax"], await ReadRangeAsync(0, int.MaxValue));
    }

    [Fact]
    public async Task A_wrapping_range_covers_both_ends_of_the_ring_and_equal_bounds_cover_the_whole_ring()
    {
        await SeedRingAsync();

        Assert.Equal(["h-5", "h2e9", "hMax", "hMin"], await ReadRangeAsync(5, unchecked((uint)-5)));
        Assert.Equal(["h-5", "h0", "h2e9", "h5", "hMax", "hMin"], await ReadRangeAsync(0, 0));
        Assert.Equal(["h-5", "h0", "h2e9", "h5", "hMax", "hMin"], await ReadRangeAsync(unchecked((uint)int.MinValue), unchecked((uint)int.MinValue)));
    }

    [Fact]
    public async Task Deleting_a_services_reminders_leaves_other_services()
    {
        await UpsertAsync("grain/1", "a", 1);
        await _queries.ReadAsync("UpsertReminderRowKey", ReminderParameters("grain/1", "a", 1, Of("Period", 1_000), service: "other"));

        await _queries.ReadAsync("DeleteReminderRowsKey", Of("ServiceId", Service));

        Assert.Empty(await ReadReminderAsync("grain/1", "a"));
        Assert.Single(await _queries.ReadAsync("ReadReminderRowKey", Of("ServiceId", "other"), Of("GrainId", "grain/1"), Of("ReminderName", "a")));
    }

    // ---------------------------------------------------------------- helpers, binding exactly what Orleans binds

    private static readonly GrainRow Grain = new(IdHash: 42, N0: 0, N1: 7, TypeHash: -1_234_567, TypeString: "state", Extension: null, ServiceId: Service);

    private async Task CreateVersionRowAsync()
        => Assert.True(await _queries.ReadBooleanAsync("InsertMembershipVersionKey", Of("DeploymentId", Deployment)));

    private Task<IReadOnlyList<ResultRow>> ReadAllAsync(string deployment = Deployment)
        => _queries.ReadAsync("MembershipReadAllKey", Of("DeploymentId", deployment));

    private async Task<int> TableVersionAsync() => (int)(await ReadAllAsync())[0]["Version"]!;

    private static QueryParameter[] SiloKey(Silo silo, string deployment = Deployment)
        => [Of("DeploymentId", deployment), Of("Address", silo.Address), Of("Port", silo.Port), Of("Generation", silo.Generation)];

    private Task<bool> InsertAsync(Silo silo, int version, string deployment = Deployment)
        => _queries.ReadBooleanAsync(
            "InsertMembershipKey",
            Of("DeploymentId", deployment),
            Of("IAmAliveTime", silo.StartTime.AddSeconds(5)),
            Of("SiloName", silo.Name),
            Of("HostName", silo.Host),
            Of("Address", silo.Address),
            Of("Port", silo.Port),
            Of("Generation", silo.Generation),
            Of("StartTime", silo.StartTime),
            Of("Status", OrleansContract.ActiveStatus),
            Of("ProxyPort", silo.ProxyPort),
            Of("Version", version));

    private Task<bool> UpdateAsync(Silo silo, int status, string? suspectTimes, DateTime aliveAt, int version)
        => _queries.ReadBooleanAsync(
            "UpdateMembershipKey",
            Of("DeploymentId", Deployment),
            Of("Address", silo.Address),
            Of("Port", silo.Port),
            Of("Generation", silo.Generation),
            Of("Status", status),
            Of("SuspectTimes", suspectTimes),
            Of("IAmAliveTime", aliveAt),
            Of("Version", version));

    private Task<IReadOnlyList<ResultRow>> CleanupEntryAsync(Silo silo, string? suspectTimes, DateTime aliveAt)
        => _queries.ReadAsync(
            "CleanupDefunctSiloEntryKey",
            [.. SiloKey(silo), Of("SuspectTimes", suspectTimes), Of("StartTime", silo.StartTime), Of("IAmAliveTime", aliveAt)]);

    private async Task<int?> WriteAsync(GrainRow grain, int? version, byte[] payload)
    {
        var row = Assert.Single(await _queries.ReadAsync(
            "WriteToStorageKey",
            [.. grain.Identity, Of("GrainStateVersion", version), Of("PayloadBinary", payload)]));

        // AdoNetGrainStorage reads it with GetNullableInt32 (Convert.ToInt32 of a non-null value).
        return row["NewGrainStateVersion"] is { } value ? Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    private static QueryParameter[] ReminderParameters(string grainId, string name, int grainHash, QueryParameter period, string service = Service)
        => [Of("ServiceId", service), Of("GrainHash", grainHash), Of("GrainId", grainId), Of("ReminderName", name), Of("StartTime", T0), period];

    private async Task<int> UpsertAsync(string grainId, string name, int grainHash, int period = 60_000)
    {
        var rows = await _queries.ReadAsync("UpsertReminderRowKey", ReminderParameters(grainId, name, grainHash, Of("Period", period)));
        Assert.NotEmpty(rows);
        return Convert.ToInt32(rows[0]["Version"], System.Globalization.CultureInfo.InvariantCulture);
    }

    private Task<IReadOnlyList<ResultRow>> ReadReminderAsync(string grainId, string name)
        => _queries.ReadAsync("ReadReminderRowKey", Of("ServiceId", Service), Of("GrainId", grainId), Of("ReminderName", name));

    private Task<bool> DeleteReminderAsync(string grainId, string name, int version)
        => _queries.ReadBooleanAsync("DeleteReminderRowKey", Of("ServiceId", Service), Of("GrainId", grainId), Of("ReminderName", name), Of("Version", version));

    private async Task SeedRingAsync()
    {
        foreach (var (name, hash) in new[] { ("hMin", int.MinValue), ("h-5", -5), ("h0", 0), ("h5", 5), ("h2e9", 2_000_000_000), ("hMax", int.MaxValue) })
        {
            await UpsertAsync($"grain/{name}", "tick", hash);
        }

        await _queries.ReadAsync("UpsertReminderRowKey", ReminderParameters("grain/elsewhere", "tick", 0, Of("Period", 1_000), service: "other"));
    }

    /// <summary>Picks the key the way AdoNetReminderTable does: the ring hashes compared as signed ints.</summary>
    private async Task<string[]> ReadRangeAsync(uint begin, uint end)
    {
        var key = (int)begin < (int)end ? "ReadRangeRows1Key" : "ReadRangeRows2Key";
        var rows = await _queries.ReadAsync(key, Of("ServiceId", Service), Of("BeginHash", (int)begin), Of("EndHash", (int)end));
        return [.. rows.Select(r => ((string)r["GrainId"]!)["grain/".Length..]).Order(StringComparer.Ordinal)];
    }

    private sealed record Silo(string Address, int Port, int Generation, string Name, string Host, int ProxyPort, DateTime StartTime);

    private sealed record GrainRow(int IdHash, long N0, long N1, int TypeHash, string TypeString, string? Extension, string ServiceId)
    {
        public QueryParameter[] Identity =>
        [
            Of("GrainIdHash", IdHash),
            Of("GrainIdN0", N0),
            Of("GrainIdN1", N1),
            Of("GrainTypeHash", TypeHash),
            Of("GrainTypeString", TypeString),
            Of("GrainIdExtensionString", Extension),
            Of("ServiceId", ServiceId),
        ];
    }
}
