namespace Baton.Contracts.Intents;

/// <summary>
/// The event types a write intent publishes on stream namespace <see cref="EventNamespaces.Intents"/>, subject
/// the intent id. Payloads are snake_case JSON objects that always carry <c>intent_id</c>.
/// </summary>
/// <remarks>
/// <para><c>intent.created</c>: <c>{ intent_id, interface_key, operation, resource_ref, requested_by, phase, risk: { score, level }, approvals_needed }</c>.</para>
/// <para><c>intent.approval_requested</c>: <c>{ intent_id, revision, payload_hash, reviewers, reviewer_groups, approvals_needed, risk_level, deadline }</c>;
/// an empty <c>reviewers</c> list means anybody but the requester may review.</para>
/// <para><c>intent.approval_responded</c>: <c>{ intent_id, revision, reviewer, cast_by, decision, reason, delegate_to, approvals_counted, approvals_needed }</c>;
/// <c>reviewer</c> is the seat the vote counts for, <c>cast_by</c> who cast it (they differ under delegation).</para>
/// <para><c>intent.phase_changed</c>: <c>{ intent_id, from, to, reason }</c>.</para>
/// <para><c>intent.completed</c>: <c>{ intent_id, phase, reason, detail, attempts }</c>, once, when the intent reaches any terminal phase.</para>
/// </remarks>
public static class IntentEventTypes
{
    public const string Created = "intent.created";
    public const string ApprovalRequested = "intent.approval_requested";
    public const string ApprovalResponded = "intent.approval_responded";
    public const string PhaseChanged = "intent.phase_changed";
    public const string Completed = "intent.completed";
}
