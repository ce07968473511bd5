using System.Globalization;
using System.Text.Json;
using Baton.Cli;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Cli;

/// <summary>A dev-mode silo for the <c>baton cluster status</c> tests, started once for the class.</summary>
public sealed class CliSiloFixture : IAsyncLifetime
{
    public InProcessSilo Silo { get; private set; } = null!;

    public string Gateway => $"127.0.0.1:{Silo.GatewayPort}";

    public async Task InitializeAsync() => Silo = await InProcessSilo.StartAsync();

    public async Task DisposeAsync() => await Silo.DisposeAsync();
}

/// <summary><c>baton cluster status</c> against a running dev-mode silo.</summary>
public sealed class ClusterStatusCommandTests(CliSiloFixture cluster) : IClassFixture<CliSiloFixture>
{
    [Fact]
    public async Task Json_lists_the_one_active_dev_silo_with_its_activation_count()
    {
        var run = await CliRun.RunAsync("--gateway", cluster.Gateway, "cluster", "status", "--json");

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Equal("", run.Stderr);
        using var document = JsonDocument.Parse(run.Stdout);
        var silo = Assert.Single(document.RootElement.GetProperty("silos").EnumerateArray());
        Assert.Equal("Active", silo.GetProperty("status").GetString());
        Assert.StartsWith("127.0.0.1:", silo.GetProperty("address").GetString());
        Assert.False(string.IsNullOrEmpty(silo.GetProperty("name").GetString()));
        Assert.False(string.IsNullOrEmpty(silo.GetProperty("host").GetString()));
        var startedAt = DateTimeOffset.Parse(silo.GetProperty("started_at").GetString()!, CultureInfo.InvariantCulture);
        Assert.InRange(startedAt, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(silo.GetProperty("activations").GetInt32() >= 0);
    }

    [Fact]
    public async Task The_default_output_is_a_table_with_the_active_silo()
    {
        var run = await CliRun.RunAsync("--gateway", cluster.Gateway, "cluster", "status");

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        Assert.Equal("", run.Stderr);
        foreach (var heading in new[] { "Address", "Name", "Status", "Started", "Activations" })
        {
            Assert.Contains(heading, run.Stdout);
        }

        Assert.Contains("Active", run.Stdout);
        Assert.Contains("127.0.0.1:", run.Stdout);
    }

    [Fact]
    public async Task Options_may_follow_the_command_and_an_unreachable_gateway_beside_a_live_one_is_skipped()
    {
        var run = await CliRun.RunAsync("cluster", "status", "--json", "--gateway", cluster.Gateway, "--gateway", $"127.0.0.1:{FreePort.Next()}");

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var document = JsonDocument.Parse(run.Stdout);
        Assert.Single(document.RootElement.GetProperty("silos").EnumerateArray());
    }

    [Fact]
    public async Task Without_gateway_options_the_gateways_come_from_the_environment()
    {
        var run = await CliRun.RunWithEnvironmentAsync(
            new Dictionary<string, string> { ["Baton__Gateways__0"] = cluster.Gateway },
            "cluster", "status", "--json");

        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var document = JsonDocument.Parse(run.Stdout);
        Assert.Single(document.RootElement.GetProperty("silos").EnumerateArray());
    }
}
