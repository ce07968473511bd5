using Baton.Cli;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Cli;

/// <summary>Every failure of <c>baton</c> is one line on standard error and a telling exit code, never a stack trace.</summary>
public sealed class CliErrorTests
{
    [Fact]
    public async Task No_cluster_at_the_gateway_is_one_line_naming_it_and_exit_code_unreachable()
    {
        var gateway = $"127.0.0.1:{FreePort.Next()}";

        var run = await CliRun.RunAsync("--gateway", gateway, "--connect-timeout", "1", "cluster", "status");

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.Contains(gateway, line);
        Assert.Contains("connection refused", line);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task A_gateway_that_is_not_host_port_is_a_usage_error_on_one_line()
    {
        var run = await CliRun.RunAsync("--gateway", "nonsense", "cluster", "status");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.Contains("--gateway", line);
        Assert.Contains("nonsense", line);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task An_unknown_command_is_a_usage_error_on_one_line()
    {
        var run = await CliRun.RunAsync("cluster", "frobnicate");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        var line = Assert.Single(run.StderrLines);
        Assert.Contains("frobnicate", line);
    }

    [Fact]
    public async Task Gateway_and_postgres_together_are_a_usage_error()
    {
        var run = await CliRun.RunAsync("--gateway", "127.0.0.1:30000", "--postgres", "Host=127.0.0.1;Database=baton", "cluster", "status");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("either --gateway or --postgres", Assert.Single(run.StderrLines));
    }

    [Fact]
    public async Task A_bad_gateway_in_the_environment_is_a_usage_error_naming_the_variable()
    {
        var run = await CliRun.RunWithEnvironmentAsync(
            new Dictionary<string, string> { ["Baton__Gateways__0"] = "nonsense" },
            "cluster", "status");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("Baton__Gateways__0", Assert.Single(run.StderrLines));
    }
}
