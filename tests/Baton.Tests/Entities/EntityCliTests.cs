using System.Text.Json;
using Baton.Cli;
using Baton.Tests.Cli;

namespace Baton.Tests.Entities;

/// <summary><c>baton kind define</c> and <c>baton entity …</c> against the in-process silo's gateway.</summary>
public sealed class EntityCliTests(EntityApiSilo api) : IClassFixture<EntityApiSilo>
{
    [Fact]
    public async Task Kinds_and_entities_are_defined_written_read_and_removed_from_the_command_line()
    {
        var gateway = $"127.0.0.1:{api.Silo.GatewayPort}";
        var kind = EntityGrainTests.NewKind();
        var schema = Path.Combine(Path.GetTempPath(), $"{kind}.schema.json");
        await File.WriteAllTextAsync(schema, """{"type":"object","required":["status"],"properties":{"status":{"type":"string"}}}""");

        var define = await CliRun.RunAsync("--gateway", gateway, "kind", "define", kind, "--schema", schema, "--secret", "token", "--json");
        var set = await CliRun.RunAsync("--gateway", gateway, "entity", "set", $"{kind}/a", "--actor", "ops", "--data", """{"status":"up","token":"t0p"}""", "--json");
        var patch = await CliRun.RunAsync("--gateway", gateway, "entity", "patch", $"{kind}/a", "--actor", "ops", "--data", """{"status":"down"}""", "--expect-version", "1");
        var stale = await CliRun.RunAsync("--gateway", gateway, "entity", "patch", $"{kind}/a", "--actor", "ops", "--data", """{"status":"up"}""", "--expect-version", "1");
        var invalid = await CliRun.RunAsync("--gateway", gateway, "entity", "set", $"{kind}/a", "--actor", "ops", "--data", """{"status":7}""");
        var get = await CliRun.RunAsync("--gateway", gateway, "entity", "get", $"{kind}/a", "--json");
        var history = await CliRun.RunAsync("--gateway", gateway, "entity", "history", $"{kind}/a", "--field", "token", "--json");
        var delete = await CliRun.RunAsync("--gateway", gateway, "entity", "delete", $"{kind}/a", "--actor", "ops");
        var noActor = await CliRun.RunAsync("--gateway", gateway, "entity", "delete", $"{kind}/a");

        Assert.Equal(ExitCodes.Ok, define.ExitCode);
        Assert.Equal(1, JsonDocument.Parse(define.Stdout).RootElement.GetProperty("version").GetInt64());
        Assert.Equal(ExitCodes.Ok, set.ExitCode);
        Assert.True(JsonDocument.Parse(set.Stdout).RootElement.GetProperty("created").GetBoolean());
        Assert.Equal(ExitCodes.Ok, patch.ExitCode);
        Assert.Contains("version 2", patch.Stdout);
        Assert.Equal(ExitCodes.Failed, stale.ExitCode);
        Assert.Contains("version 2", stale.Stderr);
        Assert.Equal(ExitCodes.Failed, invalid.ExitCode);
        Assert.Contains("#/status", invalid.Stderr);
        var read = JsonDocument.Parse(get.Stdout).RootElement;
        Assert.Equal(("down", "t0p", 2L), (read.GetProperty("state").GetProperty("status").GetString(), read.GetProperty("state").GetProperty("token").GetString(), read.GetProperty("version").GetInt64()));
        Assert.Equal("***", JsonDocument.Parse(history.Stdout).RootElement.GetProperty("transitions")[0].GetProperty("to").GetString());
        Assert.Equal(ExitCodes.Ok, delete.ExitCode);
        Assert.Equal(ExitCodes.Usage, noActor.ExitCode);
    }
}
