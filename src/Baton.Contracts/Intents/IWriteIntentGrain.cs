namespace Baton.Contracts.Intents;

/// <summary>
/// One write intent, keyed by its idempotency key. Proposed, scored for risk, reviewed to a quorum, then executed
/// with the same key on every attempt, under its fence, retrying with backoff.
/// </summary>
public interface IWriteIntentGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the intent, or returns it when the same write was proposed before (<see cref="ProposeResult.Created"/> false).
    /// Throws <see cref="IntentConflictException"/> when the key names a different write and
    /// <see cref="IntentValidationException"/> for invalid input.
    /// </summary>
    Task<ProposeResult> Propose(ProposeRequest request);

    /// <summary>Throws <see cref="IntentNotFoundException"/> when nothing was proposed under this key.</summary>
    Task<IntentView> Get();

    /// <summary>
    /// Records <paramref name="reviewer"/>'s review (the authenticated caller). Throws <see cref="ReviewRefusedException"/>
    /// (self-approval, double vote, not a reviewer) and <see cref="IllegalTransitionException"/> when not pending.
    /// </summary>
    Task<ReviewResult> Review(string reviewer, ReviewAction action);

    /// <summary>The requester's revision of an intent in ChangesRequested; it is pending again and earlier approvals are void.</summary>
    Task<IntentView> Revise(string actor, ReviseRequest request);

    /// <summary>The requester cancels a pending or approved intent; cancelling a cancelled intent changes nothing.</summary>
    Task<IntentView> Cancel(string actor, string? reason);

    /// <summary>What the executor would do.</summary>
    Task<ExecutionPreview> Preview();
}
