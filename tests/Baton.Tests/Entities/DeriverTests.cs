using System.Text.Json.Nodes;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using static Baton.Tests.Entities.EntityScenario;

namespace Baton.Tests.Entities;

public sealed class DeriverTests
{
    private const string Key = "deployment/web";

    private static readonly FieldRule[] Rules =
    [
        new() { Field = "status", Op = FieldRuleOp.ChangedTo, Value = "\"failed\"" },
        new() { Field = "cpu", Op = FieldRuleOp.CrossesAbove, Value = "90" },
        new() { Field = "cpu", Op = FieldRuleOp.CrossesBelow, Value = "10", Event = "cpu.idle" },
    ];

    private static async Task<(ScenarioEntity State, KindContext Kind)> Created(string initial)
    {
        var kind = await Kind(derivers: Rules);
        var state = new ScenarioEntity();
        Write(Key, state, Patch(initial), kind, Start);
        return (state, kind);
    }

    private static IReadOnlyList<string> Types(EntityChangeDecision decision) => [.. decision.Events.Skip(1).Select(e => e.Type)];

    [Fact]
    public async Task Created_updated_and_deleted_are_derived_for_every_kind()
    {
        var kind = await Kind(derivers: Rules);
        var state = new ScenarioEntity();

        var created = Write(Key, state, Patch("""{"name":"web","status":"running","cpu":50}"""), kind, Start);
        var updated = Write(Key, state, Patch("""{"cpu":60}"""), kind, Start);
        var removed = EntityChange.Remove(Key, state, "admin", null, kind, Start);

        Assert.Equal(["deployment.created"], Types(created));
        Assert.Equal(["deployment.updated"], Types(updated));
        Assert.Equal(["deployment.deleted"], Types(removed));
    }

    [Fact]
    public async Task Status_changed_to_failed_publishes_kind_status_failed_with_a_domain_payload()
    {
        var (state, kind) = await Created("""{"name":"web","status":"running"}""");

        var decision = Write(Key, state, Patch("""{"status":"failed"}""", actor: "agent-7"), kind, Start.AddMinutes(1));

        Assert.Equal(["deployment.updated", "deployment.status.failed"], Types(decision));
        var payload = JsonNode.Parse(decision.Events[2].Payload)!;
        Assert.Equal(("deployment", "web", "web"), ((string?)payload["kind"], (string?)payload["id"], (string?)payload["name"]));
        Assert.Equal(["status"], payload["changed_fields"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(("running", "failed"), ((string?)payload["from"], (string?)payload["to"]));
        Assert.Equal(("status", "changed_to"), ((string?)payload["rule"]!["field"], (string?)payload["rule"]!["op"]));
        Assert.Equal(decision.Mutation!.ChangeId, (string?)payload["change_id"]);
        Assert.Equal("agent-7", (string?)payload["actor"]);
    }

    [Fact]
    public async Task Staying_failed_or_changing_to_another_value_does_not_fire_again()
    {
        var (state, kind) = await Created("""{"status":"failed","cpu":1,"x":1}""");

        Assert.Equal(["deployment.updated"], Types(Write(Key, state, Patch("""{"x":2}"""), kind, Start)));
        Assert.Equal(["deployment.updated"], Types(Write(Key, state, Patch("""{"status":"running"}"""), kind, Start)));
    }

    [Theory]
    [InlineData(50, 95, "deployment.cpu.crossed_above")]
    [InlineData(90, 90.5, "deployment.cpu.crossed_above")]
    [InlineData(95, 99, null)]
    [InlineData(50, 90, null)]
    [InlineData(50, 5, "deployment.cpu.idle")]
    [InlineData(5, 2, null)]
    [InlineData(10, 9.99, "deployment.cpu.idle")]
    public async Task Numeric_fields_fire_when_they_cross_a_threshold(double from, double to, string? expected)
    {
        var (state, kind) = await Created($$"""{"cpu":{{from}}}""");

        var types = Types(Write(Key, state, Patch($$"""{"cpu":{{to}}}"""), kind, Start));

        Assert.Equal(expected is null ? ["deployment.updated"] : ["deployment.updated", expected], types);
    }

    [Fact]
    public async Task A_number_appearing_above_the_threshold_counts_as_crossing_from_absent()
    {
        var kind = await Kind(derivers: Rules);

        var created = Write(Key, new ScenarioEntity(), Patch("""{"cpu":97}"""), kind, Start);

        Assert.Equal(["deployment.created", "deployment.cpu.crossed_above"], Types(created));
    }

    [Fact]
    public async Task Rules_are_validated_and_default_event_names_are_stored()
    {
        var state = new EntityKindState();
        var (description, changed) = await KindDefinitions.DefineAsync(state, "deployment", new KindDefinition { Derivers = Rules }, Start);

        Assert.True(changed);
        Assert.Equal(["status.failed", "cpu.crossed_above", "cpu.idle"], description.Definition.Derivers.Select(r => r.Event));

        var bad = await Assert.ThrowsAsync<EntityValidationException>(() => KindDefinitions.DefineAsync(
            state, "deployment", new KindDefinition { Derivers = [new FieldRule { Field = "cpu", Op = FieldRuleOp.CrossesAbove, Value = "\"high\"" }] }, Start));
        Assert.Equal("Derivers", bad.Field);
        var badName = await Assert.ThrowsAsync<EntityValidationException>(() => KindDefinitions.DefineAsync(
            state, "deployment", new KindDefinition { Derivers = [new FieldRule { Field = "status", Op = FieldRuleOp.ChangedTo, Value = "\"Gone Wrong\"" }] }, Start));
        Assert.Contains("set Event", badName.Rule, StringComparison.Ordinal);
        Assert.Equal(1, state.Version);
    }

    [Fact]
    public async Task Redefining_a_kind_identically_keeps_its_version_and_a_different_definition_bumps_it()
    {
        var state = new EntityKindState();
        await KindDefinitions.DefineAsync(state, "ticket", new KindDefinition { Schema = """{"type":"object","required":["a"]}""" }, Start);

        var (same, sameChanged) = await KindDefinitions.DefineAsync(state, "ticket", new KindDefinition { Schema = """{"required":["a"],"type":"object"}""" }, Start.AddDays(1));
        var (next, nextChanged) = await KindDefinitions.DefineAsync(state, "ticket", new KindDefinition { Schema = "{}", SecretFields = ["token"] }, Start.AddDays(2));

        Assert.Equal((1L, false, Start), (same.Version, sameChanged, same.DefinedAt));
        Assert.Equal((2L, true), (next.Version, nextChanged));
        Assert.Equal(next, KindDefinitions.Describe(state, "ticket"));
        Assert.Null(KindDefinitions.Describe(new EntityKindState(), "ticket"));
    }
}
