using System.Text.Json.Nodes;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using static Baton.Tests.Entities.EntityScenario;

namespace Baton.Tests.Entities;

public sealed class MaskingTests
{
    private const string Key = "service/api";

    private static string Everything(ScenarioEntity state, EntityChangeDecision decision) =>
        string.Join("\n", state.History.Concat(state.Blob.Latest).Select(t => $"{t.From} {t.To}")
            .Concat(state.Outbox.Pending.Select(p => p.Envelope.Payload))
            .Concat(decision.Events.Select(e => e.Payload))
            .Concat(decision.Transitions.Select(t => $"{t.From} {t.To}")));

    [Fact]
    public async Task Secret_fields_never_reach_transitions_or_events()
    {
        var kind = await Kind("service", secretFields: ["token", "credentials.password"],
            derivers: [new FieldRule { Field = "token", Op = FieldRuleOp.ChangedTo, Value = "\"tok-2\"", Event = "token.rotated" }]);
        var state = new ScenarioEntity();
        Write(Key, state, Patch("""{"name":"api","token":"tok-1","credentials":{"user":"bob","password":"hunter2"}}"""), kind, Start);

        var decision = Write(Key, state, Patch("""{"token":"tok-2","credentials":{"password":"hunter3"}}"""), kind, Start.AddMinutes(1));

        var text = Everything(state, decision);
        foreach (var secret in new[] { "tok-1", "tok-2", "hunter2", "hunter3" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        Assert.Contains(decision.Events, e => e.Type == "service.token.rotated");
        var changed = JsonNode.Parse(decision.Events[0].Payload)!;
        Assert.Equal(Masking.Mask, (string?)changed["next"]!["token"]);
        Assert.Equal(Masking.Mask, (string?)changed["next"]!["credentials"]!["password"]);
        Assert.Equal("bob", (string?)changed["next"]!["credentials"]!["user"]);
        Assert.Contains(state.History, t => t.Field == "token" && t.From == "\"***\"" && t.To == "\"***\"");
        Assert.Equal("tok-2", (string?)JsonNode.Parse(EntityChange.Get(Key, state).State!)!["token"]);
    }

    [Fact]
    public async Task Values_equal_to_or_containing_a_run_secret_are_masked_anywhere()
    {
        var kind = await Kind("service");
        var state = new ScenarioEntity();
        string[] runSecrets = ["sk-live-123"];

        var decision = Write(Key, state,
            Patch("""{"name":"api","note":"sk-live-123","url":"https://x/?key=sk-live-123","nested":{"list":["sk-live-123",1]}}""", runId: "run-9"),
            kind, Start, runSecrets);

        var text = Everything(state, decision);
        Assert.DoesNotContain("sk-live-123", text, StringComparison.Ordinal);
        var next = JsonNode.Parse(decision.Events[0].Payload)!["next"]!;
        Assert.Equal("***", (string?)next["note"]);
        Assert.Equal("https://x/?key=***", (string?)next["url"]);
        Assert.Equal("***", (string?)next["nested"]!["list"]![0]);
        Assert.Equal("api", (string?)next["name"]);
        Assert.Contains("sk-live-123", EntityChange.Get(Key, state).State, StringComparison.Ordinal);
    }

    [Fact]
    public void Masking_text_for_logs_replaces_every_run_secret_longest_first()
    {
        var masking = new Masking([], ["abc", "abcdef"]);

        Assert.Equal("token *** and *** end", masking.Text("token abcdef and abc end"));
    }

    [Fact]
    public void A_secret_field_is_masked_whatever_its_type_and_other_fields_are_copied_untouched()
    {
        var masking = new Masking(["pin"], []);
        var state = JsonNode.Parse("""{"pin":1234,"other":{"pin":1}}""")!.AsObject();

        var masked = masking.State(state)!;

        Assert.Equal("""{"pin":"***","other":{"pin":1}}""", masked.ToJsonString());
        Assert.Equal(1234, (int)state["pin"]!);
    }

    [Fact]
    public async Task The_name_in_trigger_payloads_is_left_out_when_it_is_secret()
    {
        var kind = await Kind("service", secretFields: ["name"]);
        var decision = Write(Key, new ScenarioEntity(), Patch("""{"name":"classified"}"""), kind, Start);

        Assert.All(decision.Events, e => Assert.DoesNotContain("classified", e.Payload, StringComparison.Ordinal));
        Assert.Null(JsonNode.Parse(decision.Events[1].Payload)!["name"]);
    }
}
