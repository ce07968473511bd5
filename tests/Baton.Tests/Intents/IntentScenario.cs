using Baton.Contracts.Intents;
using Baton.Grains.Intents;
using Microsoft.Extensions.Time.Testing;

namespace Baton.Tests.Intents;

/// <summary>One intent's state driven through <see cref="IntentDecisions"/> on a fake clock, as its grain will drive it.</summary>
internal sealed class IntentScenario
{
    public static readonly DateTimeOffset Start = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public IntentScenario(IntentRules? rules = null) => Rules = rules ?? IntentRules.Default;

    public FakeTimeProvider Clock { get; } = new(Start);

    public IntentState State { get; } = new();

    public IntentRules Rules { get; set; }

    public string Key { get; private set; } = "";

    public DateTimeOffset Now => Clock.GetUtcNow();

    public static ProposeRequest Request(
        string interfaceKey = "http", string operation = "create", string resourceRef = "repo:acme/web",
        string payload = """{"title":"hello"}""", string requestedBy = "agent-7", IReadOnlyList<string>? tags = null,
        IntentFence? fence = null, RetryPolicy? retry = null, string? idempotencyKey = null, TimeSpan? approvalTimeout = null) => new()
    {
        InterfaceKey = interfaceKey,
        Operation = operation,
        ResourceRef = resourceRef,
        Payload = payload,
        RequestedBy = requestedBy,
        Tags = tags ?? [],
        Fence = fence,
        RetryPolicy = retry ?? RetryPolicy.Default,
        IdempotencyKey = idempotencyKey,
        ApprovalTimeout = approvalTimeout ?? TimeSpan.FromHours(1),
    };

    public static string KeyOf(ProposeRequest request) =>
        request.IdempotencyKey ?? IdempotencyKey.For(request.InterfaceKey, request.Operation, request.ResourceRef, request.Payload);

    public ProposeResult Propose(ProposeRequest request)
    {
        Key = KeyOf(request);
        return IntentDecisions.Propose(Key, State, request, Rules, Now);
    }

    /// <summary>Proposes a write that needs <paramref name="approvals"/> approvals from <paramref name="reviewers"/> (a group "team").</summary>
    public ProposeResult ProposeNeeding(int approvals, IReadOnlyList<string>? reviewers = null, string requestedBy = "agent-7", string operation = "create")
    {
        Rules = Rules with
        {
            Approval = new ApprovalPolicy(new ApprovalPolicyDefinition
            {
                Levels = [.. Enum.GetValues<RiskLevel>().Select(l => new LevelRequirement { Level = l, Approvals = approvals, ReviewerGroups = reviewers is null ? [] : ["team"] })],
                Groups = new Dictionary<string, IReadOnlyList<string>> { ["team"] = reviewers ?? [] },
            }),
        };
        return Propose(Request(requestedBy: requestedBy, operation: operation));
    }

    public ReviewResult Review(string reviewer, ReviewDecision decision, string? reason = null, string? delegateTo = null, string? onBehalfOf = null, string? payloadHash = null) =>
        IntentDecisions.Review(Key, State, reviewer, new ReviewAction
        {
            Decision = decision,
            Reason = reason ?? (decision is ReviewDecision.Reject or ReviewDecision.RequestChanges ? "not like this" : null),
            DelegateTo = delegateTo,
            OnBehalfOf = onBehalfOf,
            PayloadHash = payloadHash,
        }, Rules, Now);

    public ReviewResult Approve(string reviewer) => Review(reviewer, ReviewDecision.Approve);

    public IntentView Revise(string payload, string? actor = null) =>
        IntentDecisions.Revise(Key, State, actor ?? State.Intent!.RequestedBy, new ReviseRequest { Payload = payload, Reason = "fixed" }, Rules, Now);

    public bool Cancel(string? actor = null) => IntentDecisions.Cancel(Key, State, actor ?? State.Intent!.RequestedBy, "not needed", Now);

    public ExpireOutcome Expire() => IntentDecisions.Expire(Key, State, Now);

    public AttemptStart Begin(FenceStatus fence = FenceStatus.Unfenced) => IntentDecisions.BeginAttempt(Key, State, fence, Now);

    public AttemptRecorded Record(int attempt, ExecutionOutcome outcome, int? status = null) =>
        IntentDecisions.RecordAttempt(Key, State, attempt, new ExecutionResult { Outcome = outcome, StatusCode = status, Detail = outcome.ToString() }, Now);

    public void Wait(TimeSpan by) => Clock.Advance(by);

    public IReadOnlyList<string> EventTypes() => [.. State.Outbox.Pending.Select(p => p.Envelope.Type)];

    /// <summary>Puts a fresh, approved intent in <paramref name="phase"/> by the legal road.</summary>
    public void Reach(IntentPhase phase)
    {
        ProposeNeeding(1);
        switch (phase)
        {
            case IntentPhase.PendingApproval:
                return;
            case IntentPhase.Rejected:
                Review("rev-1", ReviewDecision.Reject);
                return;
            case IntentPhase.ChangesRequested:
                Review("rev-1", ReviewDecision.RequestChanges);
                return;
            case IntentPhase.Expired:
                Wait(TimeSpan.FromHours(2));
                Expire();
                return;
            case IntentPhase.Cancelled:
                Cancel();
                return;
        }

        Approve("rev-1");
        if (phase == IntentPhase.Approved)
        {
            return;
        }

        Begin();
        switch (phase)
        {
            case IntentPhase.Succeeded:
                Record(1, ExecutionOutcome.Succeeded, 200);
                break;
            case IntentPhase.Failed:
                Record(1, ExecutionOutcome.PermanentFailure, 400);
                break;
            case IntentPhase.Retrying:
                Record(1, ExecutionOutcome.RetryableFailure, 503);
                break;
        }

        Assert.Equal(phase, State.Phase);
    }
}
