using System.Text.Json;
using Baton.Contracts;
using Baton.Contracts.Intents;
using Baton.Grains.Intents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Baton.Tests.Intents;

/// <summary>The decisions a write intent grain will call: idempotent proposals, fenced attempts, batches, events, persistence.</summary>
public sealed class IntentStateTests
{
    private static readonly Serializer Orleans = new ServiceCollection()
        .AddSerializer(builder => builder.AddAssembly(typeof(IntentState).Assembly).AddAssembly(typeof(ProposeRequest).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    [Fact]
    public void Proposing_the_same_write_twice_returns_the_same_intent_and_changes_nothing()
    {
        var scenario = new IntentScenario();
        var first = scenario.Propose(IntentScenario.Request(payload: """{"a":1,"b":2}"""));
        var events = scenario.EventTypes().Count;
        scenario.Wait(TimeSpan.FromMinutes(5));

        var again = scenario.Propose(IntentScenario.Request(payload: """{ "b": 2, "a": 1 }"""));

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Intent.Intent.Id, again.Intent.Intent.Id);
        Assert.Equal(first.Intent.Intent.ProposedAt, again.Intent.Intent.ProposedAt);
        Assert.Equal(events, scenario.EventTypes().Count);
    }

    [Fact]
    public void A_caller_key_reused_with_a_different_payload_is_a_conflict()
    {
        var scenario = new IntentScenario();
        scenario.Propose(IntentScenario.Request(payload: """{"a":1}""", idempotencyKey: "deploy-42"));

        var error = Assert.Throws<IntentConflictException>(() => scenario.Propose(IntentScenario.Request(payload: """{"a":2}""", idempotencyKey: "deploy-42")));

        Assert.Equal("deploy-42", error.IntentId);
        Assert.Equal("""{"a":1}""", scenario.State.Intent!.Payload);
        Assert.False(scenario.Propose(IntentScenario.Request(payload: """{"a":1}""", idempotencyKey: "deploy-42")).Created);
    }

    [Fact]
    public void A_request_addressed_to_the_wrong_key_is_refused()
    {
        var state = new IntentState();

        var error = Assert.Throws<IntentValidationException>(() =>
            IntentDecisions.Propose("not-the-hash", state, IntentScenario.Request(), IntentRules.Default, IntentScenario.Start));

        Assert.Equal("IdempotencyKey", error.Field);
        Assert.False(state.Exists);
    }

    [Theory]
    [InlineData("InterfaceKey")]
    [InlineData("Operation")]
    [InlineData("ResourceRef")]
    [InlineData("Payload")]
    [InlineData("RequestedBy")]
    [InlineData("Tags")]
    [InlineData("Fence")]
    [InlineData("ApprovalTimeout")]
    [InlineData("IdempotencyKey")]
    public void Invalid_proposals_are_refused_naming_the_field_and_change_nothing(string field)
    {
        var good = IntentScenario.Request();
        var bad = field switch
        {
            "InterfaceKey" => good with { InterfaceKey = "HTTP" },
            "Operation" => good with { Operation = "" },
            "ResourceRef" => good with { ResourceRef = "repo: acme" },
            "Payload" => good with { Payload = "{\"x\":\"" + new string('x', IntentLimits.MaxPayloadBytes) + "\"}" },
            "RequestedBy" => good with { RequestedBy = " " },
            "Tags" => good with { Tags = ["a", "A"] },
            "Fence" => good with { Fence = new IntentFence { LockKey = "repo:acme/web", Token = 0 } },
            "ApprovalTimeout" => good with { ApprovalTimeout = TimeSpan.FromSeconds(5) },
            _ => good with { IdempotencyKey = "has space" },
        };
        var state = new IntentState();

        var error = Assert.Throws<IntentValidationException>(() => IntentDecisions.Propose("k", state, bad, IntentRules.Default, IntentScenario.Start));

        Assert.Equal(field, error.Field);
        Assert.False(state.Exists);
        Assert.Empty(state.Outbox.Pending);
    }

    [Fact]
    public void A_payload_of_exactly_256_KiB_is_accepted()
    {
        var filler = new string('x', IntentLimits.MaxPayloadBytes - "{\"x\":\"\"}".Length);
        var scenario = new IntentScenario();

        Assert.True(scenario.Propose(IntentScenario.Request(payload: "{\"x\":\"" + filler + "\"}")).Created);
    }

    [Fact]
    public void A_stale_fence_fails_the_intent_with_stale_fence_before_any_side_effect()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(1);
        scenario.State.Intent = scenario.State.Intent! with { Fence = new IntentFence { LockKey = "repo:acme/web", Token = 7 } };
        scenario.Approve("rev-1");

        var start = scenario.Begin(FenceStatus.Stale);

        Assert.Equal(AttemptStartOutcome.FenceRefused, start.Outcome);
        Assert.Equal((IntentPhase.Failed, "stale_fence"), (scenario.State.Phase, scenario.State.Outcome!.Reason));
        var attempt = Assert.Single(scenario.State.Attempts);
        Assert.Equal(("stale_fence", ExecutionOutcome.PermanentFailure), (attempt.Reason, attempt.Outcome));
    }

    [Fact]
    public void A_fenced_intent_must_have_its_fence_checked_and_a_current_fence_lets_the_attempt_run()
    {
        var scenario = new IntentScenario();
        scenario.Propose(IntentScenario.Request(interfaceKey: "entity", operation: "update", fence: new IntentFence { LockKey = "ticket:42", Token = 3 }));

        Assert.Throws<ArgumentException>(() => scenario.Begin(FenceStatus.Unfenced));
        Assert.Equal(IntentPhase.Approved, scenario.State.Phase);
        var start = scenario.Begin(FenceStatus.Current);
        Assert.Equal((AttemptStartOutcome.Execute, 1, scenario.Key), (start.Outcome, start.AttemptNumber, start.IdempotencyKey));
    }

    [Fact]
    public void An_attempt_interrupted_by_a_crash_is_resumed_with_the_same_idempotency_key()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.Sending);
        Assert.Equal((DueKind.Attempt, scenario.Now), (IntentDecisions.Due(scenario.State).Kind, IntentDecisions.Due(scenario.State).At));
        scenario.Wait(TimeSpan.FromSeconds(30));

        var resumed = scenario.Begin();

        Assert.Equal((AttemptStartOutcome.Execute, 2, scenario.Key), (resumed.Outcome, resumed.AttemptNumber, resumed.IdempotencyKey));
        Assert.Equal("interrupted", scenario.State.Attempts[0].Reason);
        Assert.Equal(AttemptRecordOutcome.Ignored, scenario.Record(1, ExecutionOutcome.Succeeded).Outcome);
        Assert.Equal(AttemptRecordOutcome.Succeeded, scenario.Record(2, ExecutionOutcome.Succeeded).Outcome);
        Assert.Equal(AttemptRecordOutcome.Ignored, scenario.Record(2, ExecutionOutcome.Succeeded).Outcome);
        Assert.Equal(IntentPhase.Succeeded, scenario.State.Phase);
    }

    [Fact]
    public void Events_go_to_the_intents_outbox_with_snake_case_payloads_naming_the_intent()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(1, ["alice", "bob"]);
        scenario.Approve("bob");
        scenario.Begin();
        scenario.Record(1, ExecutionOutcome.Succeeded, 200);

        var pending = scenario.State.Outbox.Pending;
        Assert.All(pending, p => Assert.Equal((EventNamespaces.Intents, scenario.Key), (p.Namespace, p.Envelope.Subject)));
        Assert.Equal(Enumerable.Range(1, pending.Count).Select(i => (long)i), pending.Select(p => p.Envelope.Sequence));
        Assert.Equal(
            [IntentEventTypes.Created, IntentEventTypes.ApprovalRequested, IntentEventTypes.ApprovalResponded, IntentEventTypes.PhaseChanged,
             IntentEventTypes.PhaseChanged, IntentEventTypes.PhaseChanged, IntentEventTypes.Completed],
            scenario.EventTypes());
        using var requested = JsonDocument.Parse(pending[1].Envelope.Payload);
        Assert.Equal(scenario.Key, requested.RootElement.GetProperty("intent_id").GetString());
        Assert.Equal(["alice", "bob"], requested.RootElement.GetProperty("reviewers").EnumerateArray().Select(e => e.GetString()));
        using var responded = JsonDocument.Parse(pending[2].Envelope.Payload);
        Assert.Equal(("bob", "approve", 1), (responded.RootElement.GetProperty("reviewer").GetString(), responded.RootElement.GetProperty("decision").GetString(), responded.RootElement.GetProperty("approvals_counted").GetInt32()));
        using var completed = JsonDocument.Parse(pending[^1].Envelope.Payload);
        Assert.Equal(("succeeded", 1), (completed.RootElement.GetProperty("phase").GetString(), completed.RootElement.GetProperty("attempts").GetInt32()));
    }

    [Fact]
    public async Task A_batch_with_one_bad_id_and_continue_on_error_gives_a_result_per_item()
    {
        var intents = new Dictionary<string, IntentScenario>();
        for (var i = 0; i < 3; i++)
        {
            var scenario = new IntentScenario();
            scenario.Propose(IntentScenario.Request(payload: $$"""{"n":{{i}}}"""));
            intents[scenario.Key] = scenario;
        }

        var ids = intents.Keys.ToList();
        var batch = new BatchReview { IntentIds = [ids[0], "no-such-intent", ids[1], ids[2]], Decision = ReviewDecision.Approve, ContinueOnError = true };

        var result = await BatchReviews.RunAsync(batch, (id, action) => Task.FromResult(Review(intents, id, "bob", action)));

        Assert.Equal([BatchItemStatus.Applied, BatchItemStatus.Failed, BatchItemStatus.Applied, BatchItemStatus.Applied], result.Items.Select(i => i.Status));
        Assert.Equal(batch.IntentIds, result.Items.Select(i => i.IntentId));
        Assert.Equal("not_found", result.Items[1].Error);
        Assert.Equal((3, 1), (result.Applied, result.Failed));
        Assert.All(intents.Values, s => Assert.Equal(IntentPhase.Approved, s.State.Phase));
    }

    [Fact]
    public async Task Without_continue_on_error_a_batch_stops_at_the_first_failure()
    {
        var intents = new Dictionary<string, IntentScenario>();
        var own = new IntentScenario();
        own.Propose(IntentScenario.Request(requestedBy: "bob"));
        intents[own.Key] = own;
        var other = new IntentScenario();
        other.Propose(IntentScenario.Request(payload: """{"other":true}"""));
        intents[other.Key] = other;

        var result = await BatchReviews.RunAsync(
            new BatchReview { IntentIds = [own.Key, other.Key], Decision = ReviewDecision.Reject, Reason = "no" },
            (id, action) => Task.FromResult(Review(intents, id, "bob", action)));

        Assert.Equal([BatchItemStatus.Failed, BatchItemStatus.Skipped], result.Items.Select(i => i.Status));
        Assert.Equal("review_refused", result.Items[0].Error);
        Assert.Equal(IntentPhase.PendingApproval, other.State.Phase);
    }

    [Fact]
    public async Task Malformed_batches_are_refused_before_any_review()
    {
        var calls = 0;
        Task<ReviewResult> Count(string id, ReviewAction action)
        {
            calls++;
            return Task.FromResult(new ReviewResult());
        }

        var tooMany = new BatchReview { IntentIds = [.. Enumerable.Range(0, IntentLimits.MaxBatch + 1).Select(i => $"id-{i}")], Decision = ReviewDecision.Approve };
        Assert.Equal("IntentIds", (await Assert.ThrowsAsync<IntentValidationException>(() => BatchReviews.RunAsync(tooMany, Count))).Field);
        Assert.Equal("IntentIds", (await Assert.ThrowsAsync<IntentValidationException>(() => BatchReviews.RunAsync(new BatchReview { IntentIds = ["a", "a"] }, Count))).Field);
        Assert.Equal("Decision", (await Assert.ThrowsAsync<IntentValidationException>(() => BatchReviews.RunAsync(new BatchReview { IntentIds = ["a"], Decision = ReviewDecision.RequestChanges, Reason = "r" }, Count))).Field);
        Assert.Equal("DelegateTo", (await Assert.ThrowsAsync<IntentValidationException>(() => BatchReviews.RunAsync(new BatchReview { IntentIds = ["a"], Decision = ReviewDecision.Delegate }, Count))).Field);
        Assert.Equal("DelegateTo", (await Assert.ThrowsAsync<IntentValidationException>(() => BatchReviews.RunAsync(new BatchReview { IntentIds = ["a"], Decision = ReviewDecision.Approve, DelegateTo = "x" }, Count))).Field);
        Assert.Equal("Reason", (await Assert.ThrowsAsync<IntentValidationException>(() => BatchReviews.RunAsync(new BatchReview { IntentIds = ["a"], Decision = ReviewDecision.Reject }, Count))).Field);
        Assert.Equal(0, calls);
        var full = new BatchReview { IntentIds = [.. Enumerable.Range(0, IntentLimits.MaxBatch).Select(i => $"id-{i}")], Decision = ReviewDecision.Approve };
        Assert.Equal(IntentLimits.MaxBatch, (await BatchReviews.RunAsync(full, Count)).Applied);
    }

    [Fact]
    public void Intent_state_round_trips_through_the_Orleans_serializer_and_the_JSON_grain_storage_serializer()
    {
        var scenario = new IntentScenario();
        scenario.Rules = scenario.Rules with { Delegations = [new DelegationPolicy { Id = "p", Owner = "alice", Delegate = "dan" }] };
        scenario.ProposeNeeding(2, ["alice", "bob"]);
        scenario.Rules = scenario.Rules with { Delegations = [new DelegationPolicy { Id = "p", Owner = "alice", Delegate = "dan" }] };
        scenario.Approve("dan");
        scenario.Review("bob", ReviewDecision.Delegate, delegateTo: "erin");
        scenario.Approve("erin");
        scenario.Begin();
        scenario.Record(1, ExecutionOutcome.RetryableFailure, 502);
        var storage = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));

        foreach (var copy in new[] { Orleans.Deserialize<IntentState>(Orleans.SerializeToArray(scenario.State))!, storage.Deserialize<IntentState>(storage.Serialize(scenario.State))! })
        {
            Assert.Equal(JsonSerializer.Serialize(IntentDecisions.View(scenario.State)), JsonSerializer.Serialize(IntentDecisions.View(copy)));
            Assert.Equal(scenario.State.Outbox.Pending.Select(p => p.Envelope), copy.Outbox.Pending.Select(p => p.Envelope));
            Assert.Equal(IntentPhase.Retrying, copy.Phase);
            copy.NextAttemptAt = scenario.Now;
            Assert.Equal(AttemptStartOutcome.Execute, IntentDecisions.BeginAttempt(scenario.Key, copy, FenceStatus.Unfenced, scenario.Now).Outcome);
            Assert.Equal(AttemptRecordOutcome.Succeeded, IntentDecisions.RecordAttempt(scenario.Key, copy, 2, new ExecutionResult { Outcome = ExecutionOutcome.Succeeded }, scenario.Now).Outcome);
        }
    }

    private static ReviewResult Review(Dictionary<string, IntentScenario> intents, string id, string reviewer, ReviewAction action) =>
        IntentDecisions.Review(id, intents.TryGetValue(id, out var s) ? s.State : new IntentState(), reviewer, action, IntentRules.Default, IntentScenario.Start);
}
