using System.Text.Json;
using Baton.Cli;
using Baton.Tests.Cli;
using Baton.Tests.Events;

namespace Baton.Tests.Intents;

/// <summary><c>baton intent …</c> (propose, show, list, cancel, revise), <c>baton approve</c> and <c>baton reject</c> run in process against the intent API silo's gateway.</summary>
[Collection(IntentApiSiloCollection.Name)]
public sealed class IntentCliTests(IntentApiSilo api)
{
    [Fact]
    public async Task Propose_show_and_approve_round_trip_as_json_and_proposing_again_returns_the_same_intent()
    {
        var resource = IntentHttpTests.Resource();
        var data = """{"method":"POST","url":"http://127.0.0.1:9/hooks","body":{"title":"cli"}}""";

        var proposed = await Baton("intent", "propose", "--interface", "http", "--operation", "create", "--resource", resource, "--data", data, "--requested-by", "cli-agent", "--json");
        using var first = JsonDocument.Parse(proposed.Stdout);
        var id = first.RootElement.GetProperty("intent").GetProperty("intent").GetProperty("id").GetString()!;
        var again = await Baton("intent", "propose", "--interface", "http", "--operation", "create", "--resource", resource, "--data", data, "--requested-by", "cli-agent", "--json");
        var self = await Baton("approve", id, "--reviewer", "cli-agent");
        var approved = await Baton("approve", id, "--reviewer", "cli-reviewer", "--reason", "fine", "--json");
        var shown = await Baton("intent", "show", id, "--json");

        Assert.Equal(ExitCodes.Ok, proposed.ExitCode);
        Assert.True(first.RootElement.GetProperty("created").GetBoolean());
        Assert.Equal("pending_approval", first.RootElement.GetProperty("intent").GetProperty("phase").GetString());
        Assert.Equal(ExitCodes.Ok, again.ExitCode);
        using (var second = JsonDocument.Parse(again.Stdout))
        {
            Assert.False(second.RootElement.GetProperty("created").GetBoolean());
            Assert.Equal(id, second.RootElement.GetProperty("intent").GetProperty("intent").GetProperty("id").GetString());
        }

        Assert.Equal(ExitCodes.Failed, self.ExitCode);
        Assert.Contains("SelfApproval", self.Stderr);
        Assert.Equal(ExitCodes.Ok, approved.ExitCode);
        using (var review = JsonDocument.Parse(approved.Stdout))
        {
            Assert.Equal("approved", review.RootElement.GetProperty("phase").GetString());
            Assert.Equal("cli-reviewer", review.RootElement.GetProperty("record").GetProperty("cast_by").GetString());
        }

        using var view = JsonDocument.Parse(shown.Stdout);
        var vote = Assert.Single(view.RootElement.GetProperty("approvals").EnumerateArray());
        Assert.Equal("fine", vote.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Reject_needs_a_reason_cancel_is_for_the_requester_and_text_output_names_the_phase()
    {
        var data = """{"method":"POST","url":"http://127.0.0.1:9/hooks"}""";
        var rejectedOne = await Id(await Baton("intent", "propose", "--interface", "http", "--operation", "create", "--resource", IntentHttpTests.Resource(), "--data", data, "--requested-by", "cli-a", "--json"));
        var cancelledOne = await Id(await Baton("intent", "propose", "--interface", "http", "--operation", "create", "--resource", IntentHttpTests.Resource(), "--data", data, "--requested-by", "cli-a", "--json"));

        var noReason = await Baton("reject", rejectedOne, "--reviewer", "cli-r");
        var rejected = await Baton("reject", rejectedOne, "--reviewer", "cli-r", "--reason", "not now");
        var notRequester = await Baton("intent", "cancel", cancelledOne, "--actor", "cli-b");
        var cancelled = await Baton("intent", "cancel", cancelledOne, "--actor", "cli-a", "--reason", "done");
        var revise = await Baton("intent", "revise", cancelledOne, "--actor", "cli-a", "--data", "{}");
        var badData = await Baton("intent", "propose", "--interface", "http", "--operation", "create", "--resource", IntentHttpTests.Resource(), "--data", "{nope", "--requested-by", "cli-a");
        var missing = await Baton("intent", "show", "no-such-intent");

        Assert.NotEqual(ExitCodes.Ok, noReason.ExitCode);
        Assert.Equal(ExitCodes.Ok, rejected.ExitCode);
        Assert.Contains("rejected", rejected.Stdout);
        Assert.Equal(ExitCodes.Failed, notRequester.ExitCode);
        Assert.Contains("only its requester", notRequester.Stderr);
        Assert.Equal(ExitCodes.Ok, cancelled.ExitCode);
        Assert.Contains("phase      cancelled", cancelled.Stdout);
        Assert.Equal(ExitCodes.Failed, revise.ExitCode);
        Assert.Equal(ExitCodes.Usage, badData.ExitCode);
        Assert.Contains("--data", badData.Stderr);
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.Contains("no-such-intent", missing.Stderr);
    }

    [Fact]
    public async Task List_filters_by_requester_and_phase_pages_and_lists_what_needs_a_reviewers_approval()
    {
        var requester = $"cli-lister-{Guid.NewGuid():N}";
        var data = """{"method":"POST","url":"http://127.0.0.1:9/hooks"}""";
        var first = await Id(await Baton("intent", "propose", "--interface", "http", "--operation", "create", "--resource", IntentHttpTests.Resource(), "--data", data, "--requested-by", requester, "--json"));
        var second = await Id(await Baton("intent", "propose", "--interface", "http", "--operation", "create", "--resource", IntentHttpTests.Resource(), "--data", data, "--requested-by", requester, "--json"));
        Assert.Equal(ExitCodes.Ok, (await Baton("reject", first, "--reviewer", "cli-r", "--reason", "no")).ExitCode);

        var all = await Poll.Until(() => Baton("intent", "list", "--requested-by", requester, "--json"), r => Total(r) == 2 && r.Stdout.Contains("\"rejected\"", StringComparison.Ordinal));
        var pending = await Baton("intent", "list", "--requested-by", requester, "--phase", "pending_approval", "--json");
        var page = await Baton("intent", "list", "--requested-by", requester, "--page", "2", "--limit", "1", "--json");
        var text = await Baton("intent", "list", "--requested-by", requester, "--phase", "rejected");
        var queue = await Poll.Until(() => Baton("intent", "list", "--needs-my-approval", "--reviewer", "cli-r", "--requested-by", requester, "--json"), r => Total(r) == 1);
        var badPhase = await Baton("intent", "list", "--phase", "nope");
        var noReviewer = await Baton("intent", "list", "--needs-my-approval");

        Assert.Equal(ExitCodes.Ok, all.ExitCode);
        using (var document = JsonDocument.Parse(all.Stdout))
        {
            var items = document.RootElement.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(new[] { first, second }.Order(), items.Select(i => i.GetProperty("id").GetString()!).Order());
            Assert.Equal("rejected", items.Single(i => i.GetProperty("id").GetString() == first).GetProperty("phase").GetString());
        }

        using (var document = JsonDocument.Parse(pending.Stdout))
        {
            Assert.Equal([second], document.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        }

        using (var document = JsonDocument.Parse(page.Stdout))
        {
            Assert.Equal((2, 1, 2), (document.RootElement.GetProperty("page").GetInt32(), document.RootElement.GetProperty("items").GetArrayLength(), document.RootElement.GetProperty("total").GetInt32()));
        }

        Assert.Equal(ExitCodes.Ok, text.ExitCode);
        Assert.Contains(first, text.Stdout);
        Assert.Contains("rejected", text.Stdout);
        Assert.DoesNotContain(second, text.Stdout);
        using (var document = JsonDocument.Parse(queue.Stdout))
        {
            var waiting = Assert.Single(document.RootElement.GetProperty("items").EnumerateArray());
            Assert.Equal(second, waiting.GetProperty("approval").GetProperty("intent_id").GetString());
            Assert.True(waiting.GetProperty("open_to_anyone").GetBoolean());
        }

        Assert.Equal(ExitCodes.Usage, badPhase.ExitCode);
        Assert.Contains("--phase", badPhase.Stderr);
        Assert.Equal(ExitCodes.Usage, noReviewer.ExitCode);
        Assert.Contains("--reviewer", noReviewer.Stderr);
    }

    private static int Total(CliRun run)
    {
        if (run.ExitCode != ExitCodes.Ok)
        {
            return -1;
        }

        using var document = JsonDocument.Parse(run.Stdout);
        return document.RootElement.GetProperty("total").GetInt32();
    }

    private static Task<string> Id(CliRun run)
    {
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        using var document = JsonDocument.Parse(run.Stdout);
        return Task.FromResult(document.RootElement.GetProperty("intent").GetProperty("intent").GetProperty("id").GetString()!);
    }

    private Task<CliRun> Baton(params string[] args) => CliRun.RunAsync(["--gateway", api.Gateway, .. args]);
}
