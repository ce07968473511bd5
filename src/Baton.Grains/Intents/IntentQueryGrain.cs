using Baton.Contracts.Intents;
using Orleans.Concurrency;

namespace Baton.Grains.Intents;

/// <summary>
/// Merges the intent indexes for list queries: every <see cref="IIntentIndexGrain"/> shard sends its first
/// <c>Page × Limit</c> matches and its count, and the page is cut from the merge; "needs my approval" merges the
/// reviewer's own <see cref="IReviewerGrain"/> index with the one open to anyone.
/// </summary>
// A stateless worker: it holds nothing, so each silo answers its own callers without a hop to a single activation.
[StatelessWorker]
public sealed class IntentQueryGrain : Grain, IIntentQueryGrain
{
    public async Task<IntentSummaryPage> List(IntentQuery query)
    {
        IntentIndexing.Validate(query);
        var shards = await Task.WhenAll(Enumerable.Range(0, IntentIndexing.Shards)
            .Select(shard => GrainFactory.GetGrain<IIntentIndexGrain>(shard).Query(query)));
        return new IntentSummaryPage
        {
            Items = shards.SelectMany(s => s.Items).InListOrder().Skip((query.Page - 1) * query.Limit).Take(query.Limit).ToList(),
            Page = query.Page,
            Limit = query.Limit,
            Total = shards.Sum(s => s.Total),
        };
    }

    public async Task<ApprovalQueuePage> NeedsApproval(string reviewer, string? requestedBy, int page, int limit)
    {
        if (string.IsNullOrWhiteSpace(reviewer) || reviewer.Length > IntentLimits.MaxPrincipalLength)
        {
            throw new IntentValidationException("reviewer", $"must be 1–{IntentLimits.MaxPrincipalLength} characters");
        }

        IntentIndexing.Validate(new IntentQuery { RequestedBy = requestedBy, Page = page, Limit = limit });
        var entries = new Dictionary<string, QueuedApproval>(StringComparer.Ordinal);
        foreach (var item in await ReadAll(reviewer))
        {
            entries[item.IntentId] = new QueuedApproval { Approval = item, OpenToAnyone = reviewer == ReviewerIndex.Anyone };
        }

        if (reviewer != ReviewerIndex.Anyone)
        {
            foreach (var item in await ReadAll(ReviewerIndex.Anyone))
            {
                if (item.RequestedBy != reviewer)
                {
                    entries.TryAdd(item.IntentId, new QueuedApproval { Approval = item, OpenToAnyone = true });
                }
            }
        }

        var ordered = entries.Values
            .Where(e => requestedBy is null || e.Approval.RequestedBy == requestedBy)
            .OrderBy(e => e.Approval.RequestedAt).ThenBy(e => e.Approval.IntentId, StringComparer.Ordinal)
            .ToList();
        return new ApprovalQueuePage
        {
            Reviewer = reviewer,
            Items = ordered.Skip((page - 1) * limit).Take(limit).ToList(),
            Page = page,
            Limit = limit,
            Total = ordered.Count,
        };
    }

    private async Task<List<PendingApproval>> ReadAll(string reviewer)
    {
        var index = GrainFactory.GetGrain<IReviewerGrain>(reviewer);
        var all = new List<PendingApproval>();
        for (var page = 1; ; page++)
        {
            var chunk = await index.Pending(page, ReviewerGrain.MaxLimit);
            all.AddRange(chunk.Items);
            if (chunk.Items.Count < ReviewerGrain.MaxLimit || all.Count >= chunk.Total)
            {
                return all;
            }
        }
    }
}
