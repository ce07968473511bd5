using Baton.Grains.Locks;
using Baton.Hosting;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Baton.Tests.Foundation;

/// <summary>Bad configuration stops the silo with a non-zero exit and one line naming the setting and the cause.</summary>
public sealed class StartupValidationTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_malformed_connection_string_names_Baton_Postgres()
    {
        var (code, line, all) = await RunAsync(new() { ["Baton__Postgres"] = "Hots=nowhere;Passwrd=secret-pw-123" });

        Assert.NotEqual(0, code);
        Assert.StartsWith("Baton:Postgres:", line);
        Assert.DoesNotContain("secret-pw-123", all);
    }

    [Fact]
    public async Task An_unreachable_database_names_Baton_Postgres_and_the_cause_without_the_password()
    {
        var port = FreePort.Next();
        var (code, line, all) = await RunAsync(new()
        {
            ["Baton__Postgres"] = $"Host=127.0.0.1;Port={port};Database=baton;Username=baton;Password=secret-pw-456;Timeout=3",
            ["Baton__ApiKeys__0__Key"] = "0123456789abcdef0123",
            ["Baton__ApiKeys__0__Principal"] = "ops",
            ["Baton__ApiKeys__0__Roles__0"] = "admin",
        });

        Assert.NotEqual(0, code);
        Assert.StartsWith("Baton:Postgres: cannot use the database 'baton' at 127.0.0.1:" + port, line);
        Assert.DoesNotContain("secret-pw-456", all);
    }

    [Fact]
    public async Task An_out_of_range_port_names_the_option()
    {
        var (code, line, _) = await RunAsync(new() { ["Baton__SiloPort"] = "70000" });

        Assert.NotEqual(0, code);
        Assert.Contains("Baton:SiloPort must be between 1 and 65535.", line);
    }

    [Fact]
    public async Task Production_mode_without_api_keys_refuses_to_start_the_api()
    {
        var (code, line, _) = await RunAsync(new() { ["Baton__Postgres"] = "Host=127.0.0.1;Port=1;Database=baton;Username=baton" });

        Assert.NotEqual(0, code);
        Assert.StartsWith("Baton:ApiKeys: production mode (Baton:Postgres is set) refuses to serve the HTTP API without API keys", line);
    }

    [Fact]
    public async Task A_short_api_key_or_an_unknown_role_is_refused()
    {
        var (code, line, all) = await RunAsync(new()
        {
            ["Baton__ApiKeys__0__Key"] = "short-key",
            ["Baton__ApiKeys__0__Principal"] = "ops",
            ["Baton__ApiKeys__0__Roles__0"] = "superuser",
        });

        Assert.NotEqual(0, code);
        Assert.Contains($"Baton:ApiKeys:0:Key must be at least {BatonOptionsValidator.MinimumKeyLength} characters.", line);
        Assert.Contains("Baton:ApiKeys:0:Roles: 'superuser' is not a role", line);
        Assert.DoesNotContain("short-key", all);
    }

    [Fact]
    public void The_validator_accepts_the_defaults_and_rejects_equal_ports()
    {
        Assert.Empty(BatonOptionsValidator.Check(new BatonOptions()));
        Assert.Contains(BatonOptionsValidator.Check(new BatonOptions { SiloPort = 4000, GatewayPort = 4000 }),
            f => f.StartsWith("Baton:SiloPort and Baton:GatewayPort must differ"));
        Assert.Contains(BatonOptionsValidator.Check(new BatonOptions { Gateways = ["localhost"] }),
            f => f.StartsWith("Baton:Gateways:0:"));
    }

    [Fact]
    public void Lock_settings_bind_from_configuration_reach_the_lock_options_and_bad_values_are_refused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Baton:Locks:DeadlockVictim"] = "LowestPriority",
            ["Baton:Locks:IdleDeactivation"] = "00:00:30",
            ["Baton:Locks:RecentDeadlocks"] = "7",
        }).Build();
        var options = BatonOptionsValidator.BindAndValidate(configuration);

        using var host = Host.CreateDefaultBuilder()
            .UseOrleans(silo => silo.UseLocalhostClustering(FreePort.Next(), FreePort.Next()).AddBatonServices(options))
            .Build();
        var locks = host.Services.GetRequiredService<IOptions<LockGrainOptions>>().Value;
        Assert.Equal(DeadlockVictimPolicy.LowestPriority, locks.VictimPolicy);
        Assert.Equal(TimeSpan.FromSeconds(30), locks.IdleDeactivation);
        Assert.Equal(7, locks.RecentDeadlocks);

        Assert.Empty(BatonOptionsValidator.Check(new BatonOptions { Locks = { IdleDeactivation = Timeout.InfiniteTimeSpan } }));
        Assert.Contains(BatonOptionsValidator.Check(new BatonOptions { Locks = { IdleDeactivation = TimeSpan.Zero } }),
            f => f.StartsWith("Baton:Locks:IdleDeactivation must be positive"));
        Assert.Contains(BatonOptionsValidator.Check(new BatonOptions { Locks = { RecentDeadlocks = 0 } }),
            f => f.StartsWith("Baton:Locks:RecentDeadlocks must be between 1 and 10000"));
        Assert.Contains(BatonOptionsValidator.Check(new BatonOptions { Locks = { DeadlockVictim = (DeadlockVictimPolicy)7 } }),
            f => f.StartsWith("Baton:Locks:DeadlockVictim must be YoungestWait or LowestPriority"));
        var unknown = Assert.Throws<BatonStartupException>(() => BatonOptionsValidator.BindAndValidate(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Baton:Locks:DeadlockVictim"] = "Oldest" }).Build()));
        Assert.Contains("Oldest", unknown.Message);
    }

    [Fact]
    public void Dashboard_sample_interval_binds_from_configuration_reaches_the_dashboard_and_bad_values_are_refused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Baton:Dashboard:SampleInterval"] = "00:00:12",
        }).Build();
        var options = BatonOptionsValidator.BindAndValidate(configuration);

        using var host = Host.CreateDefaultBuilder()
            .UseOrleans(silo => silo.UseLocalhostClustering(FreePort.Next(), FreePort.Next()).AddBatonServices(options))
            .Build();
        using var defaults = Host.CreateDefaultBuilder()
            .UseOrleans(silo => silo.UseLocalhostClustering(FreePort.Next(), FreePort.Next()).AddBatonServices(new BatonOptions()))
            .Build();

        Assert.Equal(12_000, host.Services.GetRequiredService<IOptions<Orleans.Dashboard.DashboardOptions>>().Value.CounterUpdateIntervalMs);
        Assert.Equal(5_000, defaults.Services.GetRequiredService<IOptions<Orleans.Dashboard.DashboardOptions>>().Value.CounterUpdateIntervalMs);
        Assert.Contains(BatonOptionsValidator.Check(new BatonOptions { Dashboard = { SampleInterval = TimeSpan.FromMilliseconds(500) } }),
            f => f.StartsWith("Baton:Dashboard:SampleInterval must be between 00:00:01 and 01:00:00"));
        Assert.Contains(BatonOptionsValidator.Check(new BatonOptions { Dashboard = { SampleInterval = TimeSpan.FromHours(2) } }),
            f => f.StartsWith("Baton:Dashboard:SampleInterval must be between 00:00:01 and 01:00:00"));
    }

    private static async Task<(int Code, string LastLine, string All)> RunAsync(Dictionary<string, string> environment)
    {
        environment["Baton__SiloPort"] = environment.GetValueOrDefault("Baton__SiloPort") ?? FreePort.Next().ToString();
        environment["Baton__GatewayPort"] = FreePort.Next().ToString();
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}";
        await using var silo = SiloProcess.Start(environment);
        var code = await silo.WaitForExitAsync(ExitTimeout);
        var lines = silo.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        return (code, lines[^1], silo.StandardOutput + silo.StandardError);
    }
}
