using Baton.Contracts.Intents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Grains.Intents;

/// <summary>What <see cref="ApprovalPolicyGrain"/> persists: the current stored policy, or null while none was stored.</summary>
[GenerateSerializer, Alias("baton.intents.policy_state")]
public sealed class ApprovalPolicyState
{
    [Id(0)] public StoredIntentPolicy? Current { get; set; }
}

/// <summary>
/// The editable approval policy: validated whole (<see cref="IntentPolicies.Validate"/>), versioned, persisted before it
/// is answered. <see cref="WriteIntentGrain"/> reads it for every proposal and revision.
/// </summary>
public sealed class ApprovalPolicyGrain(
    [PersistentState("intent-policy", "baton")] IPersistentState<ApprovalPolicyState> state,
    [FromKeyedServices(IntentServiceKeys.Clock)] TimeProvider time,
    ILogger<ApprovalPolicyGrain> logger) : Grain, IApprovalPolicyGrain
{
    public Task<StoredIntentPolicy?> Get() => Task.FromResult(state.State.Current);

    public async Task<StoredIntentPolicy> Replace(ReplaceIntentPolicy request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Actor) || request.Actor.Length > IntentLimits.MaxPrincipalLength)
        {
            throw new IntentValidationException(nameof(ReplaceIntentPolicy.Actor), $"must be 1–{IntentLimits.MaxPrincipalLength} characters, not blank");
        }

        IntentPolicies.Validate(request.Approval, request.Risk);
        var previous = state.State.Current;
        var current = previous?.Version ?? 0;
        if (request.ExpectedVersion is { } expected && expected != current)
        {
            throw new PolicyVersionConflictException(expected, current);
        }

        var stored = new StoredIntentPolicy
        {
            Version = current + 1,
            Approval = request.Approval,
            Risk = request.Risk,
            UpdatedAt = time.GetUtcNow(),
            UpdatedBy = request.Actor,
        };
        state.State.Current = stored;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: memory must keep answering what storage holds (a lost ETag race also ends this activation).
            state.State.Current = previous;
            this.DeactivateOnIdle();
            throw;
        }

        logger.LogInformation("Approval policy version {Version} stored by {Actor}.", stored.Version, stored.UpdatedBy);
        return stored;
    }
}
