namespace Baton.Contracts.Intents;

/// <summary>
/// One reviewer's "needs my approval" index, keyed by reviewer id (<c>*</c> lists the intents anybody but their
/// requester may review) and kept by the intent grains after each change. The intent grains hold the truth; an entry
/// here is a pointer that may briefly lag.
/// </summary>
public interface IReviewerGrain : IGrainWithStringKey
{
    /// <summary>Adds or replaces the entry for <see cref="PendingApproval.IntentId"/>.</summary>
    Task Add(PendingApproval approval);

    /// <summary>Drops the entry for the intent; unknown ids are ignored.</summary>
    Task Remove(string intentId);

    /// <summary>Pending approvals, oldest request first; <paramref name="page"/> counts from 1.</summary>
    Task<PendingApprovalPage> Pending(int page, int limit);
}

/// <summary>An intent waiting for this reviewer's vote (their own seat or one delegated to them).</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.pending_approval")]
public sealed record PendingApproval
{
    [Id(0)] public string IntentId { get; init; } = "";

    [Id(1)] public int Revision { get; init; }

    [Id(2)] public string RequestedBy { get; init; } = "";

    [Id(3)] public string Operation { get; init; } = "";

    [Id(4)] public string ResourceRef { get; init; } = "";

    [Id(5)] public RiskLevel RiskLevel { get; init; }

    [Id(6)] public int RiskScore { get; init; }

    [Id(7)] public DateTimeOffset RequestedAt { get; init; }

    [Id(8)] public DateTimeOffset Deadline { get; init; }

    /// <summary>The seat this reviewer would vote for when it is not their own.</summary>
    [Id(9)] public string? OnBehalfOf { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.intents.pending_approval_page")]
public sealed record PendingApprovalPage
{
    [Id(0)] public IReadOnlyList<PendingApproval> Items { get; init; } = [];

    [Id(1)] public int Page { get; init; }

    [Id(2)] public int Limit { get; init; }

    [Id(3)] public int Total { get; init; }
}
