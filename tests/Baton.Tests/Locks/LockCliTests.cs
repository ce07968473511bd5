using System.Text.Json;
using Baton.Cli;
using Baton.Cli.Commands;
using Baton.Tests.Cli;

namespace Baton.Tests.Locks;

/// <summary><c>baton lock …</c> run in process against the lock API silo's gateway.</summary>
[Collection(LockApiSiloCollection.Name)]
public sealed class LockCliTests(LockApiSilo api)
{
    [Fact]
    public async Task Acquire_show_heartbeat_and_release_round_trip_as_json()
    {
        var key = Requests.Key("repo");

        var acquired = await Baton("lock", "acquire", key, "--owner", "cli-agent", "--ttl", "45s", "--priority", "5", "--purpose", "release train", "--json");
        using var outcome = JsonDocument.Parse(acquired.Stdout);
        var lease = outcome.RootElement.GetProperty("lease");
        var leaseId = lease.GetProperty("lease_id").GetString()!;
        var shown = await Baton("lock", "show", key, "--json");
        var heartbeat = await Baton("lock", "heartbeat", leaseId, "--owner", "cli-agent", "--ttl", "2m", "--json");
        var released = await Baton("lock", "release", leaseId, "--owner", "cli-agent", "--reason", "done", "--json");
        var after = await Baton("lock", "show", key, "--json");

        Assert.Equal(ExitCodes.Ok, acquired.ExitCode);
        Assert.Equal("acquired", outcome.RootElement.GetProperty("outcome").GetString());
        Assert.Equal("exclusive", lease.GetProperty("mode").GetString());
        Assert.Equal(1, lease.GetProperty("fencing_token").GetInt64());
        Assert.Equal(TimeSpan.FromSeconds(45), lease.GetProperty("expires_at").GetDateTimeOffset() - lease.GetProperty("acquired_at").GetDateTimeOffset());
        Assert.Equal(ExitCodes.Ok, shown.ExitCode);
        using (var description = JsonDocument.Parse(shown.Stdout))
        {
            var holder = Assert.Single(description.RootElement.GetProperty("holders").EnumerateArray());
            Assert.Equal("cli-agent", holder.GetProperty("lease").GetProperty("owner").GetString());
            Assert.Equal("release train", holder.GetProperty("purpose").GetString());
        }

        Assert.Equal(ExitCodes.Ok, heartbeat.ExitCode);
        using (var extended = JsonDocument.Parse(heartbeat.Stdout))
        {
            Assert.InRange(extended.RootElement.GetProperty("expires_at").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddSeconds(100), DateTimeOffset.UtcNow.AddSeconds(121));
        }

        Assert.Equal(ExitCodes.Ok, released.ExitCode);
        using var ended = JsonDocument.Parse(after.Stdout);
        Assert.Equal(0, ended.RootElement.GetProperty("holders").GetArrayLength());
        Assert.Equal("released", ended.RootElement.GetProperty("recently_ended")[0].GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Text_output_names_the_holder_and_a_refused_acquire_exits_1_saying_who_holds_it()
    {
        var key = Requests.Key("env");
        var first = await Baton("lock", "acquire", key, "--owner", "cli-a", "--shared");
        var refused = await Baton("lock", "acquire", key, "--owner", "cli-b");
        var shown = await Baton("lock", "show", key);

        Assert.Equal(ExitCodes.Ok, first.ExitCode);
        Assert.Contains($"Acquired {key} (shared) for cli-a", first.Stdout);
        Assert.Contains("fencing token  1", first.Stdout);
        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains("unavailable", refused.Stderr);
        Assert.Contains("cli-a", refused.Stderr);
        Assert.Contains("cli-a", shown.Stdout);
        Assert.Contains("shared", shown.Stdout);
    }

    [Fact]
    public async Task Release_by_someone_else_exits_1_and_a_forced_release_needs_a_reason()
    {
        var key = Requests.Key("repo");
        using var outcome = JsonDocument.Parse((await Baton("lock", "acquire", key, "--owner", "cli-a", "--json")).Stdout);
        var leaseId = outcome.RootElement.GetProperty("lease").GetProperty("lease_id").GetString()!;

        var notHolder = await Baton("lock", "release", leaseId, "--owner", "cli-b");
        var noReason = await Baton("lock", "release", leaseId, "--owner", "ops", "--force");
        var forced = await Baton("lock", "release", leaseId, "--owner", "ops", "--force", "--reason", "stuck");

        Assert.Equal(ExitCodes.Failed, notHolder.ExitCode);
        Assert.Contains("'cli-b' is not the holder", notHolder.Stderr);
        Assert.Equal(ExitCodes.Usage, noReason.ExitCode);
        Assert.Contains("--reason", noReason.Stderr);
        Assert.Equal(ExitCodes.Ok, forced.ExitCode);
        Assert.Contains("Force-released", forced.Stdout);
    }

    [Fact]
    public async Task List_shows_what_an_owner_holds_from_the_owner_index()
    {
        var key = Requests.Key("list");
        await Baton("lock", "acquire", key, "--owner", "cli-lister");

        var listed = await Events.Poll.Until(() => Baton("lock", "list", "--owner", "cli-lister", "--key-prefix", "list:", "--json"),
            run => run.Stdout.Contains(key, StringComparison.Ordinal));

        Assert.Equal(ExitCodes.Ok, listed.ExitCode);
        using var document = JsonDocument.Parse(listed.Stdout);
        Assert.Contains(document.RootElement.GetProperty("held").EnumerateArray(), l => l.GetProperty("key").GetString() == key);
    }

    [Fact]
    public async Task Bad_durations_and_out_of_range_ttls_are_usage_errors_naming_the_option()
    {
        var badDuration = await Baton("lock", "acquire", Requests.Key(), "--owner", "x", "--ttl", "soon");
        var ttlTooShort = await Baton("lock", "acquire", Requests.Key(), "--owner", "x", "--ttl", "2s");

        Assert.Equal(ExitCodes.Usage, badDuration.ExitCode);
        Assert.Contains("--ttl: 'soon' is not a duration", badDuration.Stderr);
        Assert.Equal(ExitCodes.Usage, ttlTooShort.ExitCode);
        Assert.Contains("--ttl: must be between 5 and 300 seconds", ttlTooShort.Stderr);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1500ms", 1.5)]
    [InlineData("1h", 3600)]
    [InlineData("45", 45)]
    [InlineData("0.5s", 0.5)]
    public void Durations_read_as_people_type_them(string text, double seconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    private Task<CliRun> Baton(params string[] args) => CliRun.RunAsync(["--gateway", api.Gateway, .. args]);
}
