using System.Text;
using Baton.Contracts.Intents;
using Baton.Contracts.Locks;

namespace Baton.Grains.Intents;

/// <summary>What <see cref="IntentDecisions.Expire"/> did.</summary>
public enum ExpireOutcome
{
    Expired,

    /// <summary>Still pending and the deadline is ahead: nothing changed.</summary>
    NotDue,

    /// <summary>Not pending any more (approved, decided, cancelled): nothing changed.</summary>
    NotPending,
}

/// <summary>What the grain learned from the fence's lock just before an attempt.</summary>
public enum FenceStatus
{
    /// <summary>The intent has no fence; nothing was checked.</summary>
    Unfenced,

    Current,

    Stale,
}

public enum AttemptStartOutcome
{
    /// <summary>Call the executor now with <see cref="AttemptStart.IdempotencyKey"/>, then report with <see cref="IntentDecisions.RecordAttempt"/>.</summary>
    Execute,

    /// <summary>Retrying and the next attempt is not due before <see cref="AttemptStart.NotBefore"/>: nothing changed.</summary>
    NotDue,

    /// <summary>The fence was stale: the intent Failed with reason <c>stale_fence</c>; do not call the executor.</summary>
    FenceRefused,

    /// <summary>An interrupted attempt was the last one allowed: the intent Failed with reason <c>attempts_exhausted</c>.</summary>
    Exhausted,
}

public sealed record AttemptStart(AttemptStartOutcome Outcome, int AttemptNumber, string IdempotencyKey, DateTimeOffset? NotBefore);

public enum AttemptRecordOutcome
{
    Succeeded,

    /// <summary>A retryable failure with attempts left: Retrying until <see cref="AttemptRecorded.NextAttemptAt"/>.</summary>
    WillRetry,

    Failed,

    /// <summary>A repeated or late report of an attempt that is already closed: nothing changed.</summary>
    Ignored,
}

public sealed record AttemptRecorded(AttemptRecordOutcome Outcome, IntentPhase Phase, DateTimeOffset? NextAttemptAt);

public enum DueKind
{
    None,

    /// <summary>The approval deadline: call <see cref="IntentDecisions.Expire"/>.</summary>
    Expiry,

    /// <summary>An attempt (first, retry, or resumption after a crash while Sending): call <see cref="IntentDecisions.BeginAttempt"/>.</summary>
    Attempt,
}

public sealed record IntentDue(DueKind Kind, DateTimeOffset At);

/// <summary>
/// Every decision about one write intent over its <see cref="IntentState"/>. No I/O and no clock: the grain reads its
/// state, calls one of these with <c>now</c> from its TimeProvider (and, before an attempt, the fence's answer),
/// persists, publishes the outbox, then replies. Input is validated before anything changes, so a refusal changes
/// nothing; events go into the state's outbox on namespace <c>intents</c>.
/// </summary>
public static class IntentDecisions
{
    private const int MaxDetailLength = 2000;

    /// <summary>
    /// Creates the intent under <paramref name="key"/>, or returns it unchanged when the same write (interface, operation,
    /// resource and payload, canonically) was proposed before. The key must be the request's
    /// <see cref="ProposeRequest.IdempotencyKey"/> or, when that is null, the derived key.
    /// </summary>
    public static ProposeResult Propose(string key, IntentState state, ProposeRequest request, IntentRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(rules);
        Validate(request);
        var contentHash = IdempotencyKey.For(request.InterfaceKey, request.Operation, request.ResourceRef, request.Payload);
        var expectedKey = request.IdempotencyKey ?? contentHash;
        if (key != expectedKey)
        {
            throw new IntentValidationException(nameof(ProposeRequest.IdempotencyKey),
                $"the intent is addressed as '{key}' but the request's key is '{expectedKey}'");
        }

        if (state.Exists)
        {
            return state.ContentHash == contentHash
                ? new ProposeResult { Intent = View(state), Created = false }
                : throw new IntentConflictException(key, state.ContentHash, contentHash);
        }

        var intent = new Intent
        {
            Id = key,
            InterfaceKey = request.InterfaceKey,
            Operation = request.Operation,
            ResourceRef = request.ResourceRef,
            Payload = request.Payload,
            PayloadHash = contentHash,
            RequestedBy = request.RequestedBy,
            Description = request.Description,
            Tags = request.Tags.ToList(),
            TicketRef = request.TicketRef,
            Fence = request.Fence,
            RetryPolicy = request.RetryPolicy,
            ApprovalTimeout = request.ApprovalTimeout,
            ProposedAt = now,
            Revision = 0,
            CallerKey = request.IdempotencyKey is not null,
        };
        state.Intent = intent;
        state.ContentHash = contentHash;
        state.Phase = IntentPhase.PendingApproval;
        Assess(state, rules, now);
        IntentEvents.Created(state, now);
        RequestApproval(state, now);
        return new ProposeResult { Intent = View(state), Created = true };
    }

    /// <summary>
    /// Records <paramref name="reviewer"/>'s review on the seat it may act for (see <see cref="Quorum.ResolveSeat"/>).
    /// An approval that completes the quorum makes the intent Approved; a rejection Rejected; a request for changes
    /// ChangesRequested; a delegation hands the seat on for this revision.
    /// </summary>
    public static ReviewResult Review(string key, IntentState state, string reviewer, ReviewAction action, IntentRules rules, DateTimeOffset now)
    {
        var intent = Require(key, state);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(rules);
        CheckPrincipal("Reviewer", reviewer);
        if (!Enum.IsDefined(action.Decision))
        {
            throw new IntentValidationException(nameof(ReviewAction.Decision), $"must be approve, reject, request_changes or delegate (got {(int)action.Decision})");
        }

        ValidateReason(action.Decision, action.Reason);
        if ((action.Decision == ReviewDecision.Delegate) != (action.DelegateTo is not null))
        {
            throw new IntentValidationException(nameof(ReviewAction.DelegateTo), "is required to delegate and refused otherwise");
        }

        if (action.DelegateTo is not null)
        {
            CheckPrincipal(nameof(ReviewAction.DelegateTo), action.DelegateTo);
        }

        if (action.OnBehalfOf is not null)
        {
            CheckPrincipal(nameof(ReviewAction.OnBehalfOf), action.OnBehalfOf);
        }

        if (state.Phase != IntentPhase.PendingApproval)
        {
            throw new IllegalTransitionException(key, state.Phase, null, "be reviewed");
        }

        if (reviewer == intent.RequestedBy)
        {
            throw new ReviewRefusedException(key, reviewer, ReviewRefusal.SelfApproval, "the requester cannot review their own intent (cancel or revise it instead)");
        }

        if (action.PayloadHash is { } seen && seen != intent.PayloadHash)
        {
            throw new ReviewRefusedException(key, reviewer, ReviewRefusal.StalePayload, $"the payload was revised (now {intent.PayloadHash}, reviewed {seen})");
        }

        var claim = Quorum.ResolveSeat(key, state, reviewer, action.OnBehalfOf, rules, now);
        if (action.Decision == ReviewDecision.Delegate)
        {
            var to = action.DelegateTo!;
            if (to == intent.RequestedBy)
            {
                throw new ReviewRefusedException(key, reviewer, ReviewRefusal.SelfApproval, "a seat cannot be handed to the requester");
            }

            if (to == reviewer || to == claim.Seat)
            {
                throw new ReviewRefusedException(key, reviewer, ReviewRefusal.DelegationRefused, $"cannot hand '{claim.Seat}''s seat to '{to}'");
            }

            if (claim.Via.Count + 1 > rules.MaxDelegationDepth)
            {
                throw new ReviewRefusedException(key, reviewer, ReviewRefusal.DelegationRefused, $"the seat would travel more than {rules.MaxDelegationDepth} delegations");
            }

            state.Delegations.Add(new SeatDelegation { From = reviewer, To = to, Revision = intent.Revision, Reason = action.Reason, At = now, Seat = claim.Seat });
        }

        var record = new ReviewRecord
        {
            Reviewer = claim.Seat,
            CastBy = reviewer,
            Decision = action.Decision,
            Reason = action.Reason,
            DelegateTo = action.DelegateTo,
            At = now,
            Revision = intent.Revision,
            PayloadHash = intent.PayloadHash,
            Via = claim.Via.ToList(),
        };
        state.Reviews.Add(record);
        IntentEvents.ApprovalResponded(state, record, now);
        switch (action.Decision)
        {
            case ReviewDecision.Approve when Quorum.IsReached(state):
                Move(state, IntentPhase.Approved, reviewer, "quorum", now, "be approved");
                break;
            case ReviewDecision.Reject:
                Complete(state, IntentPhase.Rejected, "rejected", action.Reason, reviewer, now, "be rejected");
                break;
            case ReviewDecision.RequestChanges:
                Move(state, IntentPhase.ChangesRequested, reviewer, action.Reason, now, "have changes requested");
                break;
        }

        return new ReviewResult
        {
            IntentId = key,
            Record = record,
            Phase = state.Phase,
            ApprovalsCounted = Quorum.Counted(state),
            ApprovalsNeeded = state.Requirement.ApprovalsNeeded,
        };
    }

    /// <summary>
    /// The requester's revision of an intent in ChangesRequested: new payload (the id stays), next revision, risk and
    /// requirement decided again, a new approval deadline, and PendingApproval (or Approved when the policy auto-approves).
    /// Votes on earlier revisions no longer count.
    /// </summary>
    public static IntentView Revise(string key, IntentState state, string actor, ReviseRequest request, IntentRules rules, DateTimeOffset now)
    {
        var intent = Require(key, state);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(rules);
        CheckPrincipal("Actor", actor);
        if (actor != intent.RequestedBy)
        {
            throw new IntentForbiddenException(key, actor, "revise");
        }

        CheckPayloadSize(request.Payload);
        CheckLength(nameof(ReviseRequest.Description), request.Description, IntentLimits.MaxDescriptionLength);
        CheckLength(nameof(ReviseRequest.Reason), request.Reason, IntentLimits.MaxReasonLength);
        var payloadHash = IdempotencyKey.For(intent.InterfaceKey, intent.Operation, intent.ResourceRef, request.Payload);
        IntentLifecycle.EnsureCanMove(key, state.Phase, IntentPhase.PendingApproval, "be revised");

        state.Intent = intent with
        {
            Payload = request.Payload,
            PayloadHash = payloadHash,
            Description = request.Description ?? intent.Description,
            Revision = intent.Revision + 1,
        };
        Move(state, IntentPhase.PendingApproval, actor, request.Reason ?? "revised", now, "be revised");
        Assess(state, rules, now);
        RequestApproval(state, now);
        return View(state);
    }

    /// <summary>The requester cancels a pending or approved intent. Returns false when it was already cancelled (nothing changes).</summary>
    public static bool Cancel(string key, IntentState state, string actor, string? reason, DateTimeOffset now)
    {
        var intent = Require(key, state);
        CheckPrincipal("Actor", actor);
        CheckLength("Reason", reason, IntentLimits.MaxReasonLength);
        if (actor != intent.RequestedBy)
        {
            throw new IntentForbiddenException(key, actor, "cancel");
        }

        if (state.Phase == IntentPhase.Cancelled)
        {
            return false;
        }

        Complete(state, IntentPhase.Cancelled, "cancelled", reason, actor, now, "be cancelled");
        return true;
    }

    /// <summary>Expires a pending intent whose approval deadline has come; anything else is left alone (a late reminder is harmless).</summary>
    public static ExpireOutcome Expire(string key, IntentState state, DateTimeOffset now)
    {
        Require(key, state);
        if (state.Phase != IntentPhase.PendingApproval)
        {
            return ExpireOutcome.NotPending;
        }

        if (state.ApprovalDeadline is { } deadline && now < deadline)
        {
            return ExpireOutcome.NotDue;
        }

        Complete(state, IntentPhase.Expired, "expired", $"no quorum by {state.ApprovalDeadline:O}", null, now, "expire");
        return ExpireOutcome.Expired;
    }

    /// <summary>
    /// Starts attempt n+1 of an Approved intent, of a Retrying one whose delay has passed, or again of one found Sending
    /// (its silo died mid-attempt: that attempt is closed as <c>interrupted</c> and counts). <paramref name="fence"/> is
    /// what the fence's lock said just now: a stale fence fails the intent with <c>stale_fence</c> and the executor
    /// must not be called.
    /// </summary>
    public static AttemptStart BeginAttempt(string key, IntentState state, FenceStatus fence, DateTimeOffset now)
    {
        var intent = Require(key, state);
        if (!Enum.IsDefined(fence) || (intent.Fence is null) != (fence == FenceStatus.Unfenced))
        {
            throw new ArgumentException(intent.Fence is null
                ? "The intent has no fence; pass FenceStatus.Unfenced."
                : $"The intent is fenced by '{intent.Fence.LockKey}' token {intent.Fence.Token}; check it and pass Current or Stale.", nameof(fence));
        }

        switch (state.Phase)
        {
            case IntentPhase.Approved:
                Move(state, IntentPhase.Sending, null, "attempt", now, "start an attempt");
                break;
            case IntentPhase.Retrying:
                if (state.NextAttemptAt is { } due && now < due)
                {
                    return new AttemptStart(AttemptStartOutcome.NotDue, state.Attempts.Count, key, due);
                }

                Move(state, IntentPhase.Sending, null, "retry", now, "start an attempt");
                break;
            case IntentPhase.Sending:
                if (state.Attempts.Count > 0 && state.Attempts[^1] is { EndedAt: null } interrupted)
                {
                    state.Attempts[^1] = interrupted with
                    {
                        EndedAt = now,
                        Outcome = ExecutionOutcome.RetryableFailure,
                        Reason = "interrupted",
                        Detail = "the attempt was interrupted before its result was recorded; resumed with the same idempotency key",
                    };
                    if (state.Attempts.Count >= intent.RetryPolicy.MaxAttempts)
                    {
                        Complete(state, IntentPhase.Failed, "attempts_exhausted", "the last allowed attempt was interrupted; its effect is unknown", null, now, "fail");
                        return new AttemptStart(AttemptStartOutcome.Exhausted, state.Attempts.Count, key, null);
                    }
                }

                break;
            default:
                throw new IllegalTransitionException(key, state.Phase, IntentPhase.Sending, "start an attempt");
        }

        var number = state.Attempts.Count + 1;
        if (fence == FenceStatus.Stale)
        {
            var detail = $"lock '{intent.Fence!.LockKey}' no longer holds fencing token {intent.Fence.Token}";
            state.Attempts.Add(new IntentAttempt
            {
                Number = number,
                StartedAt = now,
                EndedAt = now,
                Outcome = ExecutionOutcome.PermanentFailure,
                Reason = "stale_fence",
                Detail = detail,
            });
            Complete(state, IntentPhase.Failed, "stale_fence", detail, null, now, "fail");
            return new AttemptStart(AttemptStartOutcome.FenceRefused, number, key, null);
        }

        state.Attempts.Add(new IntentAttempt { Number = number, StartedAt = now });
        return new AttemptStart(AttemptStartOutcome.Execute, number, key, null);
    }

    /// <summary>
    /// Records how attempt <paramref name="attemptNumber"/> ended: Succeeded; Failed at once for a permanent failure;
    /// Retrying with the next due time for a retryable one, or Failed (<c>attempts_exhausted</c>) when none is left.
    /// A repeated or late report of a closed attempt is ignored.
    /// </summary>
    public static AttemptRecorded RecordAttempt(string key, IntentState state, int attemptNumber, ExecutionResult result, DateTimeOffset now)
    {
        var intent = Require(key, state);
        ArgumentNullException.ThrowIfNull(result);
        if (!Enum.IsDefined(result.Outcome))
        {
            throw new ArgumentOutOfRangeException(nameof(result), $"Unknown execution outcome {(int)result.Outcome}.");
        }

        var current = state.Attempts.Count > 0 ? state.Attempts[^1] : null;
        if (state.Phase != IntentPhase.Sending || current is not { EndedAt: null } || current.Number != attemptNumber)
        {
            if (attemptNumber >= 1 && attemptNumber <= state.Attempts.Count && state.Attempts[attemptNumber - 1].EndedAt is not null)
            {
                return new AttemptRecorded(AttemptRecordOutcome.Ignored, state.Phase, state.NextAttemptAt);
            }

            throw new IllegalTransitionException(key, state.Phase, null, $"record the result of attempt {attemptNumber}");
        }

        var detail = Truncate(result.Detail);
        state.Attempts[^1] = current with { EndedAt = now, Outcome = result.Outcome, Detail = detail, StatusCode = result.StatusCode };
        switch (result.Outcome)
        {
            case ExecutionOutcome.Succeeded:
                Complete(state, IntentPhase.Succeeded, "succeeded", detail, null, now, "succeed");
                return new AttemptRecorded(AttemptRecordOutcome.Succeeded, state.Phase, null);
            case ExecutionOutcome.PermanentFailure:
                Complete(state, IntentPhase.Failed, "permanent_failure", detail, null, now, "fail");
                return new AttemptRecorded(AttemptRecordOutcome.Failed, state.Phase, null);
            default:
                if (RetrySchedule.NextAttemptAt(intent.RetryPolicy, attemptNumber, now) is not { } next)
                {
                    Complete(state, IntentPhase.Failed, "attempts_exhausted", detail, null, now, "fail");
                    return new AttemptRecorded(AttemptRecordOutcome.Failed, state.Phase, null);
                }

                Move(state, IntentPhase.Retrying, null, "retryable_failure", now, "retry");
                state.NextAttemptAt = next;
                return new AttemptRecorded(AttemptRecordOutcome.WillRetry, state.Phase, next);
        }
    }

    /// <summary>What the grain must do next and when (for its timer and reminder), or <see cref="DueKind.None"/>.</summary>
    public static IntentDue Due(IntentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Phase switch
        {
            _ when !state.Exists => new IntentDue(DueKind.None, DateTimeOffset.MaxValue),
            IntentPhase.PendingApproval => new IntentDue(DueKind.Expiry, state.ApprovalDeadline ?? DateTimeOffset.MinValue),
            IntentPhase.Approved => new IntentDue(DueKind.Attempt, state.PhaseHistory.Count > 0 ? state.PhaseHistory[^1].At : state.Intent!.ProposedAt),
            IntentPhase.Sending => new IntentDue(DueKind.Attempt, state.Attempts.Count > 0 ? state.Attempts[^1].StartedAt : DateTimeOffset.MinValue),
            IntentPhase.Retrying => new IntentDue(DueKind.Attempt, state.NextAttemptAt ?? DateTimeOffset.MinValue),
            _ => new IntentDue(DueKind.None, DateTimeOffset.MaxValue),
        };
    }

    public static IntentView View(IntentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new IntentView
        {
            Intent = state.Intent ?? new Intent(),
            Phase = state.Phase,
            Risk = state.Risk,
            Requirement = state.Requirement,
            Approvals = state.Reviews.ToList(),
            ApprovalsCounted = state.Exists ? Quorum.Counted(state) : 0,
            Attempts = state.Attempts.ToList(),
            Outcome = state.Outcome,
            ApprovalDeadline = state.ApprovalDeadline,
            NextAttemptAt = state.NextAttemptAt,
            PhaseHistory = state.PhaseHistory.ToList(),
            Delegations = state.Delegations.ToList(),
        };
    }

    /// <summary>Throws <see cref="IntentValidationException"/> naming the first field of <paramref name="request"/> that breaks its rule.</summary>
    public static void Validate(ProposeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckToken(nameof(ProposeRequest.InterfaceKey), request.InterfaceKey);
        CheckToken(nameof(ProposeRequest.Operation), request.Operation);
        if (string.IsNullOrEmpty(request.ResourceRef) || request.ResourceRef.Length > IntentLimits.MaxResourceRefLength
            || request.ResourceRef.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new IntentValidationException(nameof(ProposeRequest.ResourceRef), $"must be 1–{IntentLimits.MaxResourceRefLength} characters without whitespace or control characters");
        }

        CheckPayloadSize(request.Payload);
        CheckPrincipal(nameof(ProposeRequest.RequestedBy), request.RequestedBy);
        CheckLength(nameof(ProposeRequest.Description), request.Description, IntentLimits.MaxDescriptionLength);
        CheckLength(nameof(ProposeRequest.TicketRef), request.TicketRef, IntentLimits.MaxTicketRefLength);
        if (request.Tags is null || request.Tags.Count > IntentLimits.MaxTags)
        {
            throw new IntentValidationException(nameof(ProposeRequest.Tags), $"must be a list of at most {IntentLimits.MaxTags} tags");
        }

        if (request.Tags.Any(t => string.IsNullOrEmpty(t) || t.Length > IntentLimits.MaxTagLength || t.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            || request.Tags.Distinct(StringComparer.OrdinalIgnoreCase).Count() != request.Tags.Count)
        {
            throw new IntentValidationException(nameof(ProposeRequest.Tags), $"tags must be distinct, 1–{IntentLimits.MaxTagLength} characters, without whitespace");
        }

        if (request.Fence is { } fence)
        {
            if (LockKey.Problem(fence.LockKey) is { } problem)
            {
                throw new IntentValidationException(nameof(ProposeRequest.Fence), problem);
            }

            if (fence.Token < 1)
            {
                throw new IntentValidationException(nameof(ProposeRequest.Fence), $"the fencing token must be at least 1 (got {fence.Token})");
            }
        }

        RetrySchedule.Validate(request.RetryPolicy);
        if (request.ApprovalTimeout < IntentLimits.MinApprovalTimeout || request.ApprovalTimeout > IntentLimits.MaxApprovalTimeout)
        {
            throw new IntentValidationException(nameof(ProposeRequest.ApprovalTimeout),
                $"must be between {IntentLimits.MinApprovalTimeout} and {IntentLimits.MaxApprovalTimeout} (got {request.ApprovalTimeout})");
        }

        if (request.IdempotencyKey is { } key
            && (key.Length is < 1 or > IntentLimits.MaxKeyTokenLength || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')))
        {
            throw new IntentValidationException(nameof(ProposeRequest.IdempotencyKey), $"must be 1–{IntentLimits.MaxKeyTokenLength} characters of letters, digits, '-', '_', '.' and ':'");
        }

        // Parses the payload too: invalid JSON and duplicate member names are refused for field Payload.
        IdempotencyKey.CanonicalPayload(request.Payload);
    }

    /// <summary>A reason is required to reject or request changes, and is at most <see cref="IntentLimits.MaxReasonLength"/> characters.</summary>
    public static void ValidateReason(ReviewDecision decision, string? reason)
    {
        if (decision is ReviewDecision.Reject or ReviewDecision.RequestChanges && string.IsNullOrWhiteSpace(reason))
        {
            throw new IntentValidationException(nameof(ReviewAction.Reason), "is required to reject or request changes");
        }

        CheckLength(nameof(ReviewAction.Reason), reason, IntentLimits.MaxReasonLength);
    }

    private static void Assess(IntentState state, IntentRules rules, DateTimeOffset now)
    {
        var intent = state.Intent!;
        state.Risk = rules.Risk.Assess(RiskSubject.Of(intent));
        state.Requirement = rules.Approval.Decide(intent.InterfaceKey, intent.Operation, intent.RequestedBy, state.Risk);
        state.ApprovalDeadline = now + intent.ApprovalTimeout;
    }

    private static void RequestApproval(IntentState state, DateTimeOffset now)
    {
        if (state.Requirement.AutoApproved)
        {
            Move(state, IntentPhase.Approved, null, "auto_approved", now, "be approved");
        }
        else
        {
            IntentEvents.ApprovalRequested(state, now);
        }
    }

    private static void Move(IntentState state, IntentPhase to, string? actor, string? reason, DateTimeOffset now, string action)
    {
        IntentLifecycle.EnsureCanMove(state.Intent!.Id, state.Phase, to, action);
        var change = new PhaseChange { From = state.Phase, To = to, At = now, Actor = actor, Reason = reason };
        state.Phase = to;
        state.PhaseHistory.Add(change);
        if (to != IntentPhase.PendingApproval)
        {
            state.ApprovalDeadline = null;
        }

        if (to != IntentPhase.Retrying)
        {
            state.NextAttemptAt = null;
        }

        IntentEvents.PhaseChanged(state, change);
    }

    private static void Complete(IntentState state, IntentPhase to, string reason, string? detail, string? actor, DateTimeOffset now, string action)
    {
        Move(state, to, actor, reason, now, action);
        state.Outcome = new IntentOutcome { Phase = to, Reason = reason, Detail = detail, At = now, Actor = actor };
        IntentEvents.Completed(state, state.Outcome);
    }

    private static Intent Require(string key, IntentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Intent ?? throw IntentNotFoundException.For(key);
    }

    private static void CheckToken(string field, string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > IntentLimits.MaxKeyTokenLength || !char.IsAsciiLetterLower(value[0]) && !char.IsAsciiDigit(value[0])
            || !value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
        {
            throw new IntentValidationException(field, $"must be 1–{IntentLimits.MaxKeyTokenLength} lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (got '{value}')");
        }
    }

    private static void CheckPrincipal(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > IntentLimits.MaxPrincipalLength || value.Any(char.IsControl))
        {
            throw new IntentValidationException(field, $"must be 1–{IntentLimits.MaxPrincipalLength} characters, not blank");
        }
    }

    private static void CheckLength(string field, string? value, int max)
    {
        if (value is { Length: var length } && length > max)
        {
            throw new IntentValidationException(field, $"must be at most {max} characters (got {length})");
        }
    }

    private static void CheckPayloadSize(string? payload)
    {
        if (payload is null)
        {
            throw new IntentValidationException(nameof(ProposeRequest.Payload), "must be JSON text");
        }

        var bytes = Encoding.UTF8.GetByteCount(payload);
        if (bytes > IntentLimits.MaxPayloadBytes)
        {
            throw new IntentValidationException(nameof(ProposeRequest.Payload), $"must be at most {IntentLimits.MaxPayloadBytes} bytes of UTF-8 (got {bytes})");
        }
    }

    private static string? Truncate(string? text) => text is { Length: > MaxDetailLength } ? text[..MaxDetailLength] + "…" : text;
}
