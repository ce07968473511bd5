using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Contracts.Entities;

namespace Baton.Grains.Entities;

/// <summary>An event decided by the change pipeline, to be appended to the entity's outbox on stream <c>entities</c>.</summary>
/// <param name="Type">The event type (<c>entity.changed</c>, <c>deployment.created</c>, <c>deployment.status.failed</c>).</param>
/// <param name="Payload">JSON text, secrets masked.</param>
public sealed record PlannedEvent(string Type, string Payload);

/// <summary>The facts of one real change that events are derived from; states hold real values.</summary>
public sealed record ChangeFacts(
    string Kind,
    string Id,
    JsonObject? Prev,
    JsonObject? Next,
    IReadOnlyList<FieldChange> Changes,
    long Version,
    string ChangeId,
    string Actor,
    DateTimeOffset OccurredAt);

/// <summary>
/// Trigger events derived from a change: one of <c>&lt;kind&gt;.created</c> (no previous state),
/// <c>&lt;kind&gt;.deleted</c> (no next state) or <c>&lt;kind&gt;.updated</c>, then one event per matching
/// <see cref="FieldRule"/>, in rule order. Payloads are described on <see cref="EntityEventTypes"/>.
/// </summary>
public static class Derivers
{
    public static IReadOnlyList<PlannedEvent> Derive(ChangeFacts facts, IReadOnlyList<FieldRule> rules, Masking masking)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(masking);
        var lifecycle = facts.Next is null ? EntityEventTypes.Deleted(facts.Kind)
            : facts.Prev is null ? EntityEventTypes.Created(facts.Kind)
            : EntityEventTypes.Updated(facts.Kind);
        var events = new List<PlannedEvent> { new(lifecycle, Base(facts, masking).ToJsonString()) };
        if (facts.Next is null)
        {
            return events;
        }

        foreach (var rule in rules)
        {
            var change = facts.Changes.FirstOrDefault(c => c.Field == rule.Field);
            if (change is null || !Matches(rule, change))
            {
                continue;
            }

            var payload = Base(facts, masking);
            payload["rule"] = new JsonObject
            {
                ["field"] = rule.Field,
                ["op"] = FieldRuleOps.Name(rule.Op),
                ["value"] = masking.Field(rule.Field, JsonNode.Parse(rule.Value)),
            };
            if (change.HadFrom)
            {
                payload["from"] = masking.Field(change.Field, change.From);
            }

            if (change.HasTo)
            {
                payload["to"] = masking.Field(change.Field, change.To);
            }

            events.Add(new PlannedEvent(EntityEventTypes.Rule(facts.Kind, RuleEventName(rule)), payload.ToJsonString()));
        }

        return events;
    }

    /// <summary>True when <paramref name="rule"/> fires for <paramref name="change"/> (see <see cref="FieldRuleOp"/>).</summary>
    public static bool Matches(FieldRule rule, FieldChange change)
    {
        if (!change.HasTo || change.Field != rule.Field)
        {
            return false;
        }

        var value = JsonNode.Parse(rule.Value);
        switch (rule.Op)
        {
            case FieldRuleOp.ChangedTo:
                return CanonicalJson.Equal(change.To, value) && !(change.HadFrom && CanonicalJson.Equal(change.From, value));
            case FieldRuleOp.CrossesAbove when Number(value) is { } threshold:
                return Number(change.To) > threshold && !(change.HadFrom && Number(change.From) > threshold);
            case FieldRuleOp.CrossesBelow when Number(value) is { } threshold:
                return Number(change.To) < threshold && !(change.HadFrom && Number(change.From) < threshold);
            default:
                return false;
        }
    }

    /// <summary>The event name after <c>&lt;kind&gt;.</c>: the rule's own, or the default described on <see cref="FieldRule.Event"/>; null when there is none.</summary>
    public static string? DefaultEventName(FieldRule rule)
    {
        var suffix = rule.Op switch
        {
            FieldRuleOp.ChangedTo => JsonNode.Parse(rule.Value) switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
                _ => null,
            },
            FieldRuleOp.CrossesAbove => "crossed_above",
            FieldRuleOp.CrossesBelow => "crossed_below",
            _ => null,
        };
        return suffix is null ? null : $"{rule.Field}.{suffix}";
    }

    private static string RuleEventName(FieldRule rule) =>
        !string.IsNullOrEmpty(rule.Event) ? rule.Event : DefaultEventName(rule) ?? rule.Field;

    private static JsonObject Base(ChangeFacts facts, Masking masking)
    {
        var payload = new JsonObject
        {
            ["kind"] = facts.Kind,
            ["id"] = facts.Id,
        };
        if (Name(facts.Next ?? facts.Prev, masking) is { } name)
        {
            payload["name"] = name;
        }

        payload["changed_fields"] = new JsonArray([.. facts.Changes.Select(c => (JsonNode?)c.Field)]);
        payload["version"] = facts.Version;
        payload["change_id"] = facts.ChangeId;
        payload["actor"] = facts.Actor;
        payload["occurred_at"] = facts.OccurredAt;
        return payload;
    }

    private static string? Name(JsonObject? state, Masking masking) =>
        state is not null && state.TryGetPropertyValue("name", out var value) && !masking.IsSecretField("name")
            && masking.Field("name", value) is JsonValue masked && masked.GetValueKind() == JsonValueKind.String
            ? masked.GetValue<string>()
            : null;

    internal static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number
        && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;
}
