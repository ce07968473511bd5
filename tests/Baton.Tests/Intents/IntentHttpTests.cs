using System.Net;
using System.Text.Json;
using Baton.Tests.Events;

namespace Baton.Tests.Intents;

/// <summary><c>/api/v1/intents</c> and <c>/api/v1/approvals</c> against a real host with API keys: status codes, bodies, problem JSON and who may act.</summary>
[Collection(IntentApiSiloCollection.Name)]
public sealed class IntentHttpTests(IntentApiSilo api)
{
    private const string Agent = IntentApiSilo.Agent;
    private const string OtherAgent = IntentApiSilo.OtherAgent;
    private const string Reviewer = IntentApiSilo.Reviewer;
    private const string OtherReviewer = IntentApiSilo.OtherReviewer;
    private const string Admin = IntentApiSilo.Admin;

    [Fact]
    public async Task Propose_is_201_then_200_for_the_same_write_and_409_when_the_key_names_another_write()
    {
        var key = $"k-{Guid.NewGuid():N}";
        var resource = Resource();

        var created = await Propose(Agent, Body(resource, title: "one", key: key));
        var again = await Propose(Agent, Body(resource, title: "one", key: key));
        var conflict = await Propose(Agent, Body(resource, title: "two", key: key));
        var derived = await Propose(Agent, Body(resource, title: "three"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/intents/{key}", created.Headers.Location?.OriginalString);
        var intent = await Json(created);
        Assert.Equal(key, intent.GetProperty("id").GetString());
        Assert.Equal("pending_approval", intent.GetProperty("phase").GetString());
        Assert.Equal(Agent, intent.GetProperty("requested_by").GetString());
        Assert.Equal("one", intent.GetProperty("payload").GetProperty("body").GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(key, (await Json(again)).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        var problem = await Json(conflict);
        Assert.Equal("idempotency_key", problem.GetProperty("field").GetString());
        Assert.Equal(key, problem.GetProperty("intent_id").GetString());
        Assert.Equal(HttpStatusCode.Created, derived.StatusCode);
        Assert.Matches("^[0-9a-f]{64}$", (await Json(derived)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Bad_input_is_400_naming_the_field_and_proposing_for_someone_else_is_403()
    {
        var noOperation = await Propose(Agent, new { interface_key = "http", resource_ref = Resource(), payload = new { } });
        var unknownInterface = await Propose(Agent, new { interface_key = "ftp", operation = "create", resource_ref = Resource(), payload = new { } });
        var forOther = await Propose(Agent, Body(Resource(), requestedBy: OtherAgent));
        var reviewerProposes = await Propose(Reviewer, Body(Resource()));
        var adminForOther = await Propose(Admin, Body(Resource(), requestedBy: OtherAgent));

        Assert.Equal(HttpStatusCode.BadRequest, noOperation.StatusCode);
        Assert.Equal("operation", (await Json(noOperation)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unknownInterface.StatusCode);
        Assert.Equal("interface_key", (await Json(unknownInterface)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, forOther.StatusCode);
        Assert.Equal("requested_by", (await Json(forOther)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, reviewerProposes.StatusCode);
        Assert.Equal(HttpStatusCode.Created, adminForOther.StatusCode);
        Assert.Equal(OtherAgent, (await Json(adminForOther)).GetProperty("requested_by").GetString());
    }

    [Fact]
    public async Task Get_shows_risk_requirement_approvals_and_attempts_and_preview_says_what_would_be_sent()
    {
        var id = await ProposeId(Agent, Body(Resource()));

        var intent = await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/intents/{id}", OtherAgent));
        var preview = await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/intents/{id}/preview", Reviewer));
        var missing = await api.SendAsync(HttpMethod.Get, "/api/v1/intents/no-such-intent", Agent);

        Assert.Equal(id, intent.GetProperty("id").GetString());
        Assert.Equal("low", intent.GetProperty("risk").GetProperty("level").GetString());
        Assert.True(intent.GetProperty("risk").GetProperty("score").GetInt32() >= 0);
        Assert.Equal(1, intent.GetProperty("requirement").GetProperty("approvals_needed").GetInt32());
        Assert.Equal(0, intent.GetProperty("approvals").GetArrayLength());
        Assert.Equal(0, intent.GetProperty("attempts").GetArrayLength());
        Assert.Contains("POST", preview.GetProperty("summary").GetString());
        Assert.Contains("127.0.0.1", preview.GetProperty("summary").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_reviewer_responds_as_itself_whatever_the_body_says_and_the_vote_shows_on_the_intent()
    {
        var id = await ProposeId(Agent, Body(Resource()));

        var response = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{id}/respond", Reviewer,
            new { action = "approve", reason = "looks fine", reviewer = OtherReviewer });
        var intent = await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/intents/{id}", Agent));
        var again = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{id}/respond", Reviewer, new { action = "approve" });
        var badAction = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{id}/respond", OtherReviewer, new { action = "maybe" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var review = await Json(response);
        Assert.Equal("approved", review.GetProperty("phase").GetString());
        Assert.Equal(Reviewer, review.GetProperty("record").GetProperty("cast_by").GetString());
        Assert.Equal("approve", review.GetProperty("record").GetProperty("decision").GetString());
        var vote = Assert.Single(intent.GetProperty("approvals").EnumerateArray());
        Assert.Equal(Reviewer, vote.GetProperty("cast_by").GetString());
        Assert.Equal("looks fine", vote.GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
        Assert.Equal("action", (await Json(badAction)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Self_approval_is_a_403_problem_and_agents_may_not_respond_at_all()
    {
        var own = await ProposeId(Admin, Body(Resource()));
        var agents = await ProposeId(OtherAgent, Body(Resource()));

        var self = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{own}/respond", Admin, new { action = "approve" });
        var byAgent = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{agents}/respond", Agent, new { action = "approve" });
        var rejectWithoutReason = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{agents}/respond", Reviewer, new { action = "reject" });
        var rejected = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{agents}/respond", Reviewer, new { action = "reject", reason = "no" });

        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Equal("application/problem+json", self.Content.Headers.ContentType?.MediaType);
        var problem = await Json(self);
        Assert.Equal("self_approval", problem.GetProperty("refusal").GetString());
        Assert.Equal(own, problem.GetProperty("intent_id").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, rejectWithoutReason.StatusCode);
        Assert.Equal("reason", (await Json(rejectWithoutReason)).GetProperty("field").GetString());
        Assert.Equal("rejected", (await Json(rejected)).GetProperty("phase").GetString());
    }

    [Fact]
    public async Task Batch_with_one_bad_id_applies_the_rest_with_continue_on_error_and_skips_them_without()
    {
        var first = await ProposeId(Agent, Body(Resource()));
        var second = await ProposeId(Agent, Body(Resource()));
        var third = await ProposeId(Agent, Body(Resource()));
        var fourth = await ProposeId(Agent, Body(Resource()));

        var continued = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/batch", Reviewer,
            new { intent_ids = new[] { first, "no-such-intent", second }, action = "approve", continue_on_error = true });
        var stopped = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/batch", Reviewer,
            new { intent_ids = new[] { "no-such-intent", third, fourth }, action = "approve" });
        var tooMany = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/batch", Reviewer,
            new { intent_ids = Enumerable.Range(0, 101).Select(i => $"id-{i}").ToArray(), action = "approve" });
        var byAgent = await api.SendAsync(HttpMethod.Post, "/api/v1/approvals/batch", Agent, new { intent_ids = new[] { third }, action = "approve" });

        Assert.Equal(HttpStatusCode.OK, continued.StatusCode);
        var result = await Json(continued);
        Assert.Equal(2, result.GetProperty("applied").GetInt32());
        Assert.Equal(1, result.GetProperty("failed").GetInt32());
        var items = result.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([first, "no-such-intent", second], items.Select(i => i.GetProperty("intent_id").GetString()));
        Assert.Equal(["applied", "failed", "applied"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Equal("not_found", items[1].GetProperty("error").GetString());
        Assert.Equal("approved", items[0].GetProperty("result").GetProperty("phase").GetString());
        var halted = await Json(stopped);
        Assert.Equal(["failed", "skipped", "skipped"], halted.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal("intent_ids", (await Json(tooMany)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        Assert.Equal("pending_approval", (await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/intents/{third}", Agent))).GetProperty("phase").GetString());
    }

    [Fact]
    public async Task Approvals_list_the_intents_waiting_for_the_caller_but_not_its_own_and_needs_my_approval_agrees()
    {
        var id = await ProposeId(Agent, Body(Resource()));

        var forReviewer = await Poll.Until(() => Approvals(Reviewer, "/api/v1/approvals?limit=200"), p => Contains(p, id));
        var viaIntents = await Approvals(Reviewer, "/api/v1/intents?needs_my_approval=true&limit=200");
        var forRequester = await Approvals(Agent, "/api/v1/approvals?limit=200");
        var named = await Approvals(Reviewer, $"/api/v1/approvals?reviewer={OtherReviewer}&limit=200");
        var firstPage = await Approvals(Reviewer, "/api/v1/approvals?page=1&limit=1");
        var byPhase = await api.SendAsync(HttpMethod.Get, "/api/v1/intents?phase=pending_approval", Reviewer);
        var byRequester = await api.SendAsync(HttpMethod.Get, $"/api/v1/intents?requested_by={Agent}", Reviewer);
        var badLimit = await api.SendAsync(HttpMethod.Get, "/api/v1/approvals?limit=0", Reviewer);

        var item = forReviewer.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("intent_id").GetString() == id);
        Assert.Equal(Reviewer, forReviewer.GetProperty("reviewer").GetString());
        Assert.True(item.GetProperty("open_to_anyone").GetBoolean());
        Assert.Equal(Agent, item.GetProperty("requested_by").GetString());
        Assert.Equal("low", item.GetProperty("risk_level").GetString());
        Assert.True(Contains(viaIntents, id));
        Assert.False(Contains(forRequester, id));
        Assert.True(Contains(named, id));
        Assert.Equal(1, firstPage.GetProperty("items").GetArrayLength());
        Assert.True(firstPage.GetProperty("total").GetInt32() >= 1);
        Assert.Equal(HttpStatusCode.OK, byPhase.StatusCode);
        Assert.Equal("pending_approval", (await Json(byPhase)).GetProperty("phase").GetString());
        Assert.Equal(HttpStatusCode.OK, byRequester.StatusCode);
        Assert.Equal(Agent, (await Json(byRequester)).GetProperty("requested_by").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        Assert.Equal("limit", (await Json(badLimit)).GetProperty("field").GetString());

        await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{id}/respond", Reviewer, new { action = "approve" });
        await Poll.Until(() => Approvals(Reviewer, "/api/v1/approvals?limit=200"), p => !Contains(p, id));
    }

    [Fact]
    public async Task Only_the_requester_cancels_and_revise_is_a_409_while_pending_but_works_after_changes_are_requested()
    {
        var cancelled = await ProposeId(Agent, Body(Resource()));
        var revised = await ProposeId(Agent, Body(Resource()));

        var byOther = await api.SendAsync(HttpMethod.Post, $"/api/v1/intents/{cancelled}/cancel", OtherAgent, new { reason = "mine now" });
        var byRequester = await api.SendAsync(HttpMethod.Post, $"/api/v1/intents/{cancelled}/cancel", Agent, new { reason = "not needed" });
        var revisePending = await api.SendAsync(HttpMethod.Post, $"/api/v1/intents/{revised}/revise", Agent, new { payload = HttpPayload("v2") });
        var changes = await api.SendAsync(HttpMethod.Post, $"/api/v1/approvals/{revised}/respond", Reviewer, new { action = "request_changes", reason = "title" });
        var revise = await api.SendAsync(HttpMethod.Post, $"/api/v1/intents/{revised}/revise", Agent, new { payload = HttpPayload("v2"), reason = "fixed" });

        Assert.Equal(HttpStatusCode.Forbidden, byOther.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byRequester.StatusCode);
        var view = await Json(byRequester);
        Assert.Equal("cancelled", view.GetProperty("phase").GetString());
        Assert.Equal("cancelled", view.GetProperty("outcome").GetProperty("reason").GetString());
        Assert.Equal(Agent, view.GetProperty("outcome").GetProperty("actor").GetString());
        Assert.Equal(HttpStatusCode.Conflict, revisePending.StatusCode);
        Assert.Equal("pending_approval", (await Json(revisePending)).GetProperty("phase").GetString());
        Assert.Equal("changes_requested", (await Json(changes)).GetProperty("phase").GetString());
        Assert.Equal(HttpStatusCode.OK, revise.StatusCode);
        var after = await Json(revise);
        Assert.Equal("pending_approval", after.GetProperty("phase").GetString());
        Assert.Equal(1, after.GetProperty("revision").GetInt32());
        Assert.Equal("v2", after.GetProperty("payload").GetProperty("body").GetProperty("title").GetString());
    }

    internal static string Resource() => $"repo:acme/{Guid.NewGuid():N}";

    internal static object HttpPayload(string title) => new { method = "POST", url = "http://127.0.0.1:9/hooks", body = new { title } };

    private static object Body(string resource, string title = "hello", string? key = null, string? requestedBy = null) => new
    {
        interface_key = "http",
        operation = "create",
        resource_ref = resource,
        payload = HttpPayload(title),
        idempotency_key = key,
        requested_by = requestedBy,
    };

    private static bool Contains(JsonElement page, string id) =>
        page.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("intent_id").GetString() == id);

    private async Task<JsonElement> Approvals(string principal, string path)
    {
        var response = await api.SendAsync(HttpMethod.Get, path, principal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Json(response);
    }

    private Task<HttpResponseMessage> Propose(string principal, object body) => api.SendAsync(HttpMethod.Post, "/api/v1/intents", principal, body);

    private async Task<string> ProposeId(string principal, object body)
    {
        var response = await Propose(principal, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Json(response)).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
