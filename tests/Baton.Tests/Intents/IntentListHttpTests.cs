using System.Net;
using System.Text.Json;
using Baton.Tests.Events;

namespace Baton.Tests.Intents;

/// <summary>
/// <c>GET /api/v1/intents</c> filters and pages, <c>GET|POST /api/v1/approvals/policies</c> and batch delegation
/// over HTTP. Intents are proposed by the admin for a fresh requester per test, so the lists hold only the test's own.
/// </summary>
[Collection(IntentApiSiloCollection.Name)]
public sealed class IntentListHttpTests(IntentApiSilo api)
{
    private const string Agent = IntentApiSilo.Agent;
    private const string Reviewer = IntentApiSilo.Reviewer;
    private const string OtherReviewer = IntentApiSilo.OtherReviewer;
    private const string Admin = IntentApiSilo.Admin;

    [Fact]
    public async Task Intents_are_listed_by_requester_and_phase_with_pages_and_bad_filters_are_400_naming_the_parameter()
    {
        var requester = $"lister-{Guid.NewGuid():N}";
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await ProposeId(Admin, Body(IntentHttpTests.Resource(), requester)));
        }

        await Respond(Reviewer, ids[0], new { action = "reject", reason = "no" });
        var all = await Poll.Until(() => Get(Agent, $"/api/v1/intents?requested_by={requester}"), p => p.GetProperty("total").GetInt32() == 3);
        var rejected = await Poll.Until(() => Get(Agent, $"/api/v1/intents?requested_by={requester}&phase=rejected"), p => p.GetProperty("total").GetInt32() == 1);
        var pending = await Get(Reviewer, $"/api/v1/intents?phase=pending_approval&requested_by={requester}");
        var second = await Get(Agent, $"/api/v1/intents?requested_by={requester}&page=2&limit=2");
        var mine = await Get(Reviewer, $"/api/v1/intents?needs_my_approval=true&requested_by={requester}&phase=pending_approval");
        var unknownPhase = await api.SendAsync(HttpMethod.Get, "/api/v1/intents?phase=PendingApproval", Agent);
        var approvalsInOtherPhase = await api.SendAsync(HttpMethod.Get, "/api/v1/intents?needs_my_approval=true&phase=approved", Reviewer);
        var badPage = await api.SendAsync(HttpMethod.Get, "/api/v1/intents?page=0", Agent);

        Assert.Equal(3, all.GetProperty("items").GetArrayLength());
        Assert.Equal(requester, all.GetProperty("requested_by").GetString());
        Assert.Equal(ids.Order(), Ids(all).Order());
        var item = all.GetProperty("items").EnumerateArray().First(i => i.GetProperty("id").GetString() == ids[1]);
        Assert.Equal("http", item.GetProperty("interface_key").GetString());
        Assert.Equal("low", item.GetProperty("risk_level").GetString());
        Assert.Equal([ids[0]], Ids(rejected));
        Assert.Equal("rejected", rejected.GetProperty("phase").GetString());
        Assert.Equal("rejected", rejected.GetProperty("items")[0].GetProperty("phase").GetString());
        Assert.Equal(ids.Skip(1).Order(), Ids(pending).Order());
        Assert.Equal((2, 2, 3, 1), (second.GetProperty("page").GetInt32(), second.GetProperty("limit").GetInt32(), second.GetProperty("total").GetInt32(), second.GetProperty("items").GetArrayLength()));
        Assert.Equal(ids.Skip(1).Order(), mine.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("intent_id").GetString()!).Order());
        Assert.Equal(HttpStatusCode.BadRequest, unknownPhase.StatusCode);
        Assert.Equal("phase", (await Json(unknownPhase)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, approvalsInOtherPhase.StatusCode);
        Assert.Equal("phase", (await Json(approvalsInOtherPhase)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Equal("page", (await Json(badPage)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Only_admins_replace_the_policy_bad_input_changes_nothing_and_a_new_proposal_is_decided_under_the_stored_one()
    {
        var before = await Get(Reviewer, "/api/v1/approvals/policies");
        var version = before.GetProperty("version").GetInt32();
        var strict = Policy(lowApprovals: 2, expectedVersion: version);
        try
        {
            var byReviewer = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Reviewer, strict);
            var byAgent = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Agent, strict);
            var unknownGroup = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Admin, Policy(lowApprovals: 1, highGroup: "nobody"));
            var badLevel = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Admin, new { levels = new[] { new { level = "extreme", approvals = 1 } } });
            var noLevels = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Admin, new { groups = Array.Empty<object>() });
            var unchanged = await Get(Reviewer, "/api/v1/approvals/policies");
            var stored = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Admin, strict);
            var stale = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Admin, strict);
            var after = await Get(Agent, "/api/v1/approvals/policies");
            var proposed = await Json(await api.SendAsync(HttpMethod.Post, "/api/v1/intents", Agent, Body(IntentHttpTests.Resource(), null)));

            Assert.Equal(4, before.GetProperty("levels").GetArrayLength());
            Assert.True(before.GetProperty("risk_rules").GetProperty("rules").GetArrayLength() > 0);
            Assert.Equal(HttpStatusCode.Forbidden, byReviewer.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, unknownGroup.StatusCode);
            Assert.Equal("levels[high]", (await Json(unknownGroup)).GetProperty("field").GetString());
            Assert.Equal(HttpStatusCode.BadRequest, badLevel.StatusCode);
            Assert.Equal("levels[0].level", (await Json(badLevel)).GetProperty("field").GetString());
            Assert.Equal(HttpStatusCode.BadRequest, noLevels.StatusCode);
            Assert.Equal("levels", (await Json(noLevels)).GetProperty("field").GetString());
            Assert.Equal(version, unchanged.GetProperty("version").GetInt32());
            Assert.Equal(before.GetRawText(), unchanged.GetRawText());
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
            Assert.Equal(version + 1, (await Json(stored)).GetProperty("version").GetInt32());
            Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
            Assert.Equal("expected_version", (await Json(stale)).GetProperty("field").GetString());
            Assert.Equal((version + 1, "stored", Admin), (after.GetProperty("version").GetInt32(), after.GetProperty("source").GetString(), after.GetProperty("updated_by").GetString()));
            var low = after.GetProperty("levels").EnumerateArray().Single(l => l.GetProperty("level").GetString() == "low");
            Assert.Equal(2, low.GetProperty("approvals").GetInt32());
            Assert.Equal(["olga", "oscar"], after.GetProperty("groups")[0].GetProperty("members").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal("low", proposed.GetProperty("risk").GetProperty("level").GetString());
            Assert.Equal(2, proposed.GetProperty("requirement").GetProperty("approvals_needed").GetInt32());
        }
        finally
        {
            // The silo is shared with the other intent HTTP tests: put back a policy that decides as the configured one does.
            var restore = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/policies", Admin, Unparsed(before));
            Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
        }
    }

    [Fact]
    public async Task A_batch_delegates_each_intent_with_a_result_per_item_and_needs_delegate_to()
    {
        var first = await ProposeId(Agent, Body(IntentHttpTests.Resource(), null));
        var second = await ProposeId(Agent, Body(IntentHttpTests.Resource(), null));

        var batch = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/batch", Reviewer,
            new { intent_ids = new[] { first, "no-such-intent", second }, action = "delegate", delegate_to = OtherReviewer, reason = "away", continue_on_error = true });
        var noDelegate = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/batch", Reviewer, new { intent_ids = new[] { first }, action = "delegate" });
        var delegateOnApprove = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/batch", Reviewer, new { intent_ids = new[] { first }, action = "approve", delegate_to = OtherReviewer });
        var intent = await Get(Agent, $"/api/v1/intents/{second}");

        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        var result = await Json(batch);
        Assert.Equal((2, 1), (result.GetProperty("applied").GetInt32(), result.GetProperty("failed").GetInt32()));
        var items = result.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["applied", "failed", "applied"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Equal("not_found", items[1].GetProperty("error").GetString());
        Assert.Equal("delegate", items[0].GetProperty("result").GetProperty("record").GetProperty("decision").GetString());
        Assert.Equal(OtherReviewer, items[2].GetProperty("result").GetProperty("record").GetProperty("delegate_to").GetString());
        var delegation = Assert.Single(intent.GetProperty("delegations").EnumerateArray());
        Assert.Equal((Reviewer, OtherReviewer), (delegation.GetProperty("from").GetString(), delegation.GetProperty("to").GetString()));
        Assert.Equal("pending_approval", intent.GetProperty("phase").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, noDelegate.StatusCode);
        Assert.Equal("delegate_to", (await Json(noDelegate)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, delegateOnApprove.StatusCode);
        Assert.Equal("delegate_to", (await Json(delegateOnApprove)).GetProperty("field").GetString());
    }

    /// <summary>A policy: Low needs <paramref name="lowApprovals"/> from anybody; High two from <paramref name="highGroup"/>.</summary>
    private static object Policy(int lowApprovals, string highGroup = "ops", int? expectedVersion = null) => new
    {
        levels = new object[]
        {
            new { level = "low", approvals = lowApprovals },
            new { level = "medium", approvals = 1 },
            new { level = "high", approvals = 2, reviewer_groups = new[] { highGroup } },
            new { level = "critical", approvals = 2, reviewer_groups = new[] { "ops" } },
        },
        operation_minimums = new[] { new { operation = "delete*", approvals = 1 } },
        groups = new[] { new { name = "ops", members = new[] { "olga", "oscar" } } },
        expected_version = expectedVersion,
    };

    /// <summary>A policy document from GET as a body for POST (its extra members are ignored).</summary>
    private static JsonElement Unparsed(JsonElement document) => document;

    private static object Body(string resource, string? requestedBy) => new
    {
        interface_key = "http",
        operation = "create",
        resource_ref = resource,
        payload = IntentHttpTests.HttpPayload("list"),
        requested_by = requestedBy,
    };

    private static IEnumerable<string> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!);

    private async Task Respond(string principal, string id, object body) =>
        Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{id}/respond", principal, body)).StatusCode);

    private async Task<string> ProposeId(string principal, object body)
    {
        var response = await api.SendAsync(HttpMethod.Post, "/api/v1/intents", principal, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Json(response)).GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> Get(string principal, string path)
    {
        var response = await api.SendAsync(HttpMethod.Get, path, principal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json(response);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
