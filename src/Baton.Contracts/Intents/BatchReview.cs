namespace Baton.Contracts.Intents;

/// <summary>Approve, reject or delegate up to <see cref="IntentLimits.MaxBatch"/> intents at once, with one result per intent.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.batch_review")]
public sealed record BatchReview
{
    /// <summary>1–100 distinct intent ids, reviewed in this order.</summary>
    [Id(0)] public IReadOnlyList<string> IntentIds { get; init; } = [];

    /// <summary><see cref="ReviewDecision.Approve"/>, <see cref="ReviewDecision.Reject"/> or <see cref="ReviewDecision.Delegate"/>.</summary>
    [Id(1)] public ReviewDecision Decision { get; init; }

    [Id(2)] public string? Reason { get; init; }

    /// <summary>When false the batch stops at the first failed item and the rest are <see cref="BatchItemStatus.Skipped"/>.</summary>
    [Id(3)] public bool ContinueOnError { get; init; }

    /// <summary>Whom the caller's seat is handed to on every intent; required to delegate, refused otherwise.</summary>
    [Id(4)] public string? DelegateTo { get; init; }
}

[GenerateSerializer, Alias("baton.intents.batch_item_status")]
public enum BatchItemStatus
{
    Applied = 0,
    Failed = 1,

    /// <summary>Not attempted: an earlier item failed and <see cref="BatchReview.ContinueOnError"/> was false.</summary>
    Skipped = 2,
}

[GenerateSerializer, Immutable, Alias("baton.intents.batch_item")]
public sealed record BatchReviewItem
{
    [Id(0)] public string IntentId { get; init; } = "";

    [Id(1)] public BatchItemStatus Status { get; init; }

    /// <summary>The review's result when applied.</summary>
    [Id(2)] public ReviewResult? Result { get; init; }

    /// <summary>
    /// Why it failed: <c>not_found</c>, <c>illegal_transition</c>, <c>review_refused</c>, <c>validation</c>,
    /// <c>forbidden</c> or <c>error</c>.
    /// </summary>
    [Id(3)] public string? Error { get; init; }

    [Id(4)] public string? Message { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.intents.batch_result")]
public sealed record BatchReviewResult
{
    /// <summary>One item per requested id, in request order.</summary>
    [Id(0)] public IReadOnlyList<BatchReviewItem> Items { get; init; } = [];

    public int Applied => Items.Count(i => i.Status == BatchItemStatus.Applied);

    public int Failed => Items.Count(i => i.Status == BatchItemStatus.Failed);
}
