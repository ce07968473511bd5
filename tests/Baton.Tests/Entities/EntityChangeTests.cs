using System.Text.Json.Nodes;
using Baton.Contracts;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using static Baton.Tests.Entities.EntityScenario;

namespace Baton.Tests.Entities;

public sealed class EntityChangeTests
{
    private const string Key = "deployment/web";

    private const string Schema = """
        { "type": "object", "required": ["status"],
          "properties": { "status": { "enum": ["running", "failed"] }, "replicas": { "type": "integer" } } }
        """;

    [Fact]
    public async Task The_first_write_creates_version_1_with_a_transition_per_field_and_a_changed_event()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();

        var decision = Write(Key, state, Patch("""{"status":"running","replicas":2}"""), kind, Start);

        Assert.Equal(EntityChangeOutcome.Applied, decision.Outcome);
        Assert.Equal(1, state.Version);
        Assert.True(decision.Mutation!.Created);
        Assert.Equal(["replicas", "status"], decision.Mutation.ChangedFields);
        Assert.Equal(["replicas", "status"], state.History.Select(t => t.Field));
        Assert.All(state.History, t => Assert.Null(t.From));
        var changed = state.Outbox.Pending[0].Envelope;
        Assert.Equal(EventNamespaces.Entities, state.Outbox.Pending[0].Namespace);
        Assert.Equal((EntityEventTypes.Changed, Key, 1L), (changed.Type, changed.Subject, changed.Sequence));
        var payload = JsonNode.Parse(changed.Payload)!;
        Assert.Null(payload["prev"]);
        Assert.Equal("running", (string?)payload["next"]!["status"]);
        Assert.Equal(decision.Mutation.ChangeId, (string?)payload["change_id"]);
        Assert.Equal("deployment.created", state.Outbox.Pending[1].Envelope.Type);
    }

    [Fact]
    public async Task A_change_event_carries_prev_next_delta_and_the_documented_fields()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"status":"running","replicas":2}"""), kind, Start);

        var decision = Write(Key, state, Patch("""{"status":"failed","replicas":null}""", actor: "agent-2"), kind, Start.AddMinutes(5));

        var payload = JsonNode.Parse(decision.Events[0].Payload)!.AsObject();
        Assert.Equal(
            ["kind", "id", "prev", "next", "delta", "changed_fields", "actor", "occurred_at", "change_id", "version"],
            payload.Select(p => p.Key));
        Assert.Equal("deployment", (string?)payload["kind"]);
        Assert.Equal("web", (string?)payload["id"]);
        Assert.Equal(2, (long)payload["version"]!);
        Assert.Equal("agent-2", (string?)payload["actor"]);
        Assert.Equal(Start.AddMinutes(5), payload["occurred_at"]!.GetValue<DateTimeOffset>());
        Assert.True(CanonicalJson.Equal(JsonNode.Parse("""{"status":"running","replicas":2}"""), payload["prev"]));
        Assert.True(CanonicalJson.Equal(JsonNode.Parse("""{"status":"failed"}"""), payload["next"]));
        Assert.True(CanonicalJson.Equal(
            JsonNode.Parse("""{"replicas":{"from":2},"status":{"from":"running","to":"failed"}}"""), payload["delta"]));
        Assert.Equal(["replicas", "status"], payload["changed_fields"]!.AsArray().Select(n => (string?)n));
        var status = state.History.Last(t => t.Field == "status");
        Assert.Equal(("\"running\"", "\"failed\"", "agent-2", 2L), (status.From, status.To, status.Actor, status.Version));
        Assert.Null(state.History.Last(t => t.Field == "replicas").To);
    }

    [Fact]
    public async Task A_write_that_changes_nothing_structurally_is_a_no_op_that_emits_nothing()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        Write(Key, state, Replace("""{"status":"running","replicas":2,"meta":{"a":1,"b":2}}"""), kind, Start);
        var events = state.Outbox.Pending.Count;
        var history = state.History.Count;

        var patch = Write(Key, state, Patch("""{"replicas":2.0,"meta":{"b":2,"a":1}}"""), kind, Start.AddMinutes(1));
        var replace = Write(Key, state, Replace("""{"meta":{"b":2e0,"a":1},"replicas":2,"status":"running"}"""), kind, Start.AddMinutes(2));

        Assert.All([patch, replace], d =>
        {
            Assert.Equal(EntityChangeOutcome.NoOp, d.Outcome);
            Assert.Empty(d.Events);
            Assert.Empty(d.Transitions);
            Assert.False(d.Mutation!.Changed);
            Assert.Equal(1, d.Mutation.Version);
        });
        Assert.Equal(1, state.Version);
        Assert.Equal(events, state.Outbox.Pending.Count);
        Assert.Equal(history, state.History.Count);
        Assert.Equal(Start, state.ChangedAt);
    }

    [Fact]
    public async Task A_schema_rejection_changes_nothing_and_carries_the_schema_errors()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        var request = Patch("""{"status":"running"}""");
        Write(Key, state, request, kind, Start);
        var before = (state.Version, state.State, state.History.Count, state.Outbox.Pending.Count, state.Requests.Count);

        var decision = EntityChange.Mutate(Key, state, Patch("""{"status":"exploded","replicas":"many"}"""), kind, Start.AddMinutes(1));
        var written = EntityChange.Commit(Key, state, decision);

        Assert.Equal(EntityChangeOutcome.SchemaRejected, decision.Outcome);
        Assert.False(written);
        Assert.Equal(before, (state.Version, state.State, state.History.Count, state.Outbox.Pending.Count, state.Requests.Count));
        var error = Assert.IsType<EntitySchemaException>(decision.Error);
        Assert.Equal(("deployment", 1L), (error.Kind, error.SchemaVersion));
        Assert.Equal(["#/replicas", "#/status"], error.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Throws<EntitySchemaException>(decision.ThrowIfRefused);
    }

    [Fact]
    public async Task A_stale_expected_version_is_refused_naming_the_current_version()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"status":"running"}"""), kind, Start);
        Write(Key, state, Patch("""{"replicas":1}""", expectedVersion: 1), kind, Start);

        var decision = EntityChange.Mutate(Key, state, Patch("""{"replicas":5}""", expectedVersion: 1), kind, Start);
        EntityChange.Commit(Key, state, decision);

        Assert.Equal(EntityChangeOutcome.VersionConflict, decision.Outcome);
        var conflict = Assert.IsType<EntityVersionConflictException>(decision.Error);
        Assert.Equal((1L, 2L, Key), (conflict.ExpectedVersion, conflict.CurrentVersion, conflict.Key));
        Assert.Equal(2, state.Version);
        Assert.Contains("\"replicas\":1", state.State, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expected_version_0_means_create_only()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();

        Write(Key, state, Patch("""{"status":"running"}""", expectedVersion: 0), kind, Start);
        var second = EntityChange.Mutate(Key, state, Patch("""{"status":"failed"}""", expectedVersion: 0), kind, Start);

        Assert.Equal(1, Assert.IsType<EntityVersionConflictException>(second.Error).CurrentVersion);
    }

    [Fact]
    public async Task Retrying_a_request_id_returns_the_first_answer_and_changes_nothing_more()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        var request = Patch("""{"status":"running","replicas":1}""", requestId: "req-1", expectedVersion: 0);
        var first = Write(Key, state, request, kind, Start);
        Write(Key, state, Patch("""{"replicas":3}"""), kind, Start.AddSeconds(1));
        var events = state.Outbox.Pending.Count;

        var retry = Write(Key, state, request, kind, Start.AddSeconds(2));

        Assert.Equal(EntityChangeOutcome.Repeated, retry.Outcome);
        Assert.Equal(first.Mutation, retry.Mutation);
        Assert.Equal(2, state.Version);
        Assert.Equal(events, state.Outbox.Pending.Count);
    }

    [Fact]
    public async Task Retrying_a_no_op_returns_the_no_op_even_after_a_later_change()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"status":"running"}"""), kind, Start);
        var noOp = Patch("""{"status":"running"}""", requestId: "same");
        Write(Key, state, noOp, kind, Start);
        Write(Key, state, Patch("""{"status":"failed"}"""), kind, Start);

        var retry = Write(Key, state, noOp, kind, Start);

        Assert.Equal(EntityChangeOutcome.Repeated, retry.Outcome);
        Assert.Equal(1, retry.Mutation!.Version);
        Assert.Contains("failed", state.State, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_id_reused_for_a_different_write_is_refused()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"status":"running"}""", requestId: "r"), kind, Start);

        var error = Assert.Throws<EntityValidationException>(() => EntityChange.Mutate(Key, state, Patch("""{"status":"failed"}""", requestId: "r"), kind, Start, requests: state.Requests));

        Assert.Equal("RequestId", error.Field);
    }

    [Fact]
    public async Task The_request_memory_is_bounded_by_count()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        var options = new EntityOptions { RememberedRequests = 3 };

        for (var i = 0; i < 10; i++)
        {
            Write(Key, state, Patch($$"""{"n":{{i}}}""", requestId: $"r{i}"), kind, Start.AddSeconds(i), options: options);
        }

        Assert.Equal(["r7", "r8", "r9"], state.Requests.Select(r => r.RequestId));
    }

    [Fact]
    public async Task Removal_leaves_a_tombstone_and_publishes_next_null_with_an_empty_delta()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"status":"running"}"""), kind, Start);
        var history = state.History.Count;

        var decision = EntityChange.Remove(Key, state, "admin", 1, kind, Start.AddHours(1));
        EntityChange.Commit(Key, state, decision);

        Assert.Equal(RemoveOutcome.Removed, decision.Removal!.Outcome);
        Assert.Equal(2, state.Version);
        var snapshot = EntityChange.Get(Key, state);
        Assert.Equal((EntityStatus.Tombstoned, 2L, (string?)null), (snapshot.Status, snapshot.Version, snapshot.State));
        var payload = JsonNode.Parse(decision.Events[0].Payload)!;
        Assert.Null(payload["next"]);
        Assert.Equal("running", (string?)payload["prev"]!["status"]);
        Assert.Empty(payload["delta"]!.AsObject());
        Assert.Empty(payload["changed_fields"]!.AsArray());
        Assert.Equal("deployment.deleted", decision.Events[1].Type);
        Assert.Equal(history, state.History.Count);

        var again = EntityChange.Remove(Key, state, "admin", null, kind, Start.AddHours(2));
        Assert.Equal((EntityChangeOutcome.AlreadyRemoved, false), (again.Outcome, again.RequiresWrite));
    }

    [Fact]
    public async Task Writing_after_removal_creates_again_with_the_next_version()
    {
        var kind = await Kind(schema: Schema);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"status":"running"}"""), kind, Start);
        EntityChange.Commit(Key, state, EntityChange.Remove(Key, state, "admin", null, kind, Start));

        var decision = Write(Key, state, Patch("""{"status":"running"}"""), kind, Start.AddMinutes(1));

        Assert.Equal((3L, true), (decision.Mutation!.Version, decision.Mutation.Created));
        Assert.Equal("deployment.created", decision.Events[1].Type);
        Assert.Equal(EntityStatus.Live, state.Status);
    }

    [Fact]
    public async Task Removing_an_entity_that_was_never_written_changes_nothing()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();

        var decision = EntityChange.Remove(Key, state, "admin", null, kind, Start);

        Assert.Equal((EntityChangeOutcome.NotFound, false, 0), (decision.Outcome, EntityChange.Commit(Key, state, decision), state.Outbox.Pending.Count));
    }

    [Fact]
    public async Task A_write_to_an_undefined_kind_is_refused()
    {
        var error = Assert.Throws<EntityKindNotDefinedException>(() => EntityChange.Mutate(Key, new ScenarioEntity(), Patch("{}"), null, Start));

        Assert.Equal("deployment", error.Kind);
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData(null, null, "Patch")]
    [InlineData("{}", "{}", "State")]
    [InlineData("[1]", null, "Patch")]
    [InlineData(null, "\"text\"", "State")]
    [InlineData("{not json", null, "Patch")]
    public async Task Malformed_requests_are_refused_naming_the_field(string? patch, string? stateText, string field)
    {
        var kind = await Kind();
        var state = new ScenarioEntity();

        var error = Assert.Throws<EntityValidationException>(() =>
            EntityChange.Mutate(Key, state, new MutateRequest { Patch = patch, State = stateText, Actor = "a", RequestId = "r" }, kind, Start));

        Assert.Equal(field, error.Field);
        Assert.Equal(0, state.Version);
    }

    [Fact]
    public async Task Get_returns_the_real_state_and_version()
    {
        var kind = await Kind(secretFields: ["token"]);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"token":"s3cret"}"""), kind, Start);

        var snapshot = EntityChange.Get(Key, state);

        Assert.Equal((EntityStatus.Live, 1L, "deployment", "web"), (snapshot.Status, snapshot.Version, snapshot.Kind, snapshot.Id));
        Assert.Equal("s3cret", (string?)JsonNode.Parse(snapshot.State!)!["token"]);
        Assert.Equal(EntityStatus.NotFound, EntityChange.Get(Key, new ScenarioEntity()).Status);
    }
}
