using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>What <see cref="ReviewerGrain"/> persists: one entry per intent waiting for this reviewer.</summary>
[GenerateSerializer, Alias("baton.intents.reviewer_state")]
public sealed class ReviewerState
{
    [Id(0)] public Dictionary<string, PendingApproval> Pending { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One reviewer's "needs my approval" list, kept by the intent grains (see <see cref="WriteIntentGrain"/>): an intent
/// adds or refreshes its entry in the write after every change that leaves it pending and removes it once it is not.
/// </summary>
/// <remarks>
/// Eventually consistent: the intent's own write comes first and the index is told after it, so an entry may
/// briefly be missing, or linger after the intent was decided (until the intent grain's next turn, activation or
/// reminder repeats the update). The intent grain is the truth: a review through a lingering entry is refused there.
/// Entries older than the intent's current revision are replaced, never resurrected by a late add.
/// </remarks>
public sealed class ReviewerGrain([PersistentState("reviewer", "baton")] IPersistentState<ReviewerState> state) : Grain, IReviewerGrain
{
    public const int MaxLimit = 200;

    public async Task Add(PendingApproval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        if (state.State.Pending.TryGetValue(approval.IntentId, out var existing) && (existing == approval || existing.Revision > approval.Revision))
        {
            return;
        }

        state.State.Pending[approval.IntentId] = approval;
        await state.WriteStateAsync();
    }

    public async Task Remove(string intentId)
    {
        if (state.State.Pending.Remove(intentId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<PendingApprovalPage> Pending(int page, int limit)
    {
        if (page < 1)
        {
            throw new IntentValidationException("page", $"must be at least 1 (got {page})");
        }

        if (limit is < 1 or > MaxLimit)
        {
            throw new IntentValidationException("limit", $"must be 1–{MaxLimit} (got {limit})");
        }

        var ordered = state.State.Pending.Values.OrderBy(p => p.RequestedAt).ThenBy(p => p.IntentId, StringComparer.Ordinal).ToList();
        return Task.FromResult(new PendingApprovalPage
        {
            Items = ordered.Skip((page - 1) * limit).Take(limit).ToList(),
            Page = page,
            Limit = limit,
            Total = ordered.Count,
        });
    }
}
