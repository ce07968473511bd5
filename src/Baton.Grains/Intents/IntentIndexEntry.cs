using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>What an intent tells its <see cref="IIntentIndexGrain"/> shard, and whether the shard still needs telling.</summary>
public static class IntentIndexEntry
{
    /// <summary>The intent's summary for the index, or null before it was proposed.</summary>
    public static IntentSummary? Of(IntentState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Intent is not { } intent)
        {
            return null;
        }

        return new IntentSummary
        {
            IntentId = intent.Id,
            Phase = state.Phase,
            RequestedBy = intent.RequestedBy,
            InterfaceKey = intent.InterfaceKey,
            Operation = intent.Operation,
            ResourceRef = intent.ResourceRef,
            RiskLevel = state.Risk.Level,
            RiskScore = state.Risk.Score,
            Revision = intent.Revision,
            ProposedAt = intent.ProposedAt,
            UpdatedAt = state.PhaseHistory.Count > 0 ? state.PhaseHistory[^1].At : intent.ProposedAt,
            Version = VersionOf(state),
        };
    }

    /// <summary>
    /// 1 as proposed, one more per phase change. Every change the summary shows (phase, revision, risk) comes with a
    /// phase change, and the phase history only grows, so a later state always has a higher version.
    /// </summary>
    public static int VersionOf(IntentState state) => state.PhaseHistory.Count + 1;

    /// <summary>True when the shard has not confirmed the intent's current version.</summary>
    public static bool Behind(IntentState state) => state.Exists && state.IndexedVersion != VersionOf(state);
}
