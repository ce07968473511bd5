using System.Text.Json.Nodes;
using Baton.Contracts;
using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>Appends the <c>intents</c> events (see <see cref="IntentEventTypes"/> for the payloads) to an intent's outbox.</summary>
internal static class IntentEvents
{
    public static void Created(IntentState state, DateTimeOffset now)
    {
        var intent = state.Intent!;
        Append(state, IntentEventTypes.Created, intent.RequestedBy, now, new JsonObject
        {
            ["interface_key"] = intent.InterfaceKey,
            ["operation"] = intent.Operation,
            ["resource_ref"] = intent.ResourceRef,
            ["requested_by"] = intent.RequestedBy,
            ["phase"] = state.Phase.Wire(),
            ["risk"] = new JsonObject { ["score"] = state.Risk.Score, ["level"] = state.Risk.Level.ToString().ToUpperInvariant() },
            ["approvals_needed"] = state.Requirement.ApprovalsNeeded,
        });
    }

    public static void ApprovalRequested(IntentState state, DateTimeOffset now)
    {
        var intent = state.Intent!;
        Append(state, IntentEventTypes.ApprovalRequested, intent.RequestedBy, now, new JsonObject
        {
            ["revision"] = intent.Revision,
            ["payload_hash"] = intent.PayloadHash,
            ["reviewers"] = Strings(state.Requirement.Reviewers),
            ["reviewer_groups"] = Strings(state.Requirement.ReviewerGroups),
            ["approvals_needed"] = state.Requirement.ApprovalsNeeded,
            ["risk_level"] = state.Risk.Level.ToString().ToUpperInvariant(),
            ["deadline"] = state.ApprovalDeadline,
        });
    }

    public static void ApprovalResponded(IntentState state, ReviewRecord record, DateTimeOffset now) =>
        Append(state, IntentEventTypes.ApprovalResponded, record.CastBy, now, new JsonObject
        {
            ["revision"] = record.Revision,
            ["reviewer"] = record.Reviewer,
            ["cast_by"] = record.CastBy,
            ["decision"] = Wire(record.Decision),
            ["reason"] = record.Reason,
            ["delegate_to"] = record.DelegateTo,
            ["approvals_counted"] = Quorum.Counted(state),
            ["approvals_needed"] = state.Requirement.ApprovalsNeeded,
        });

    public static void PhaseChanged(IntentState state, PhaseChange change) =>
        Append(state, IntentEventTypes.PhaseChanged, change.Actor, change.At, new JsonObject
        {
            ["from"] = change.From.Wire(),
            ["to"] = change.To.Wire(),
            ["reason"] = change.Reason,
        });

    public static void Completed(IntentState state, IntentOutcome outcome) =>
        Append(state, IntentEventTypes.Completed, outcome.Actor, outcome.At, new JsonObject
        {
            ["phase"] = outcome.Phase.Wire(),
            ["reason"] = outcome.Reason,
            ["detail"] = outcome.Detail,
            ["attempts"] = state.Attempts.Count,
        });

    public static string Wire(ReviewDecision decision) => decision switch
    {
        ReviewDecision.RequestChanges => "request_changes",
        _ => decision.ToString().ToLowerInvariant(),
    };

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);

    private static void Append(IntentState state, string type, string? actor, DateTimeOffset now, JsonObject payload)
    {
        var id = state.Intent!.Id;
        var body = new JsonObject { ["intent_id"] = id };
        foreach (var (name, value) in payload.ToList())
        {
            payload.Remove(name);
            body[name] = value;
        }

        state.Outbox.Append(EventNamespaces.Intents, type, id, actor, body.ToJsonString(), now);
    }
}
