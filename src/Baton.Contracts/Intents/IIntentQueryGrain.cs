namespace Baton.Contracts.Intents;

/// <summary>
/// Answers list queries over the intent indexes, on whichever silo the caller is (a stateless worker; use key 0): by
/// phase and requester from the <see cref="IIntentIndexGrain"/> shards, and "needs my approval" from the
/// <see cref="IReviewerGrain"/> indexes.
/// </summary>
public interface IIntentQueryGrain : IGrainWithIntegerKey
{
    /// <summary>One page of the intents matching <paramref name="query"/>, newest proposal first.</summary>
    Task<IntentSummaryPage> List(IntentQuery query);

    /// <summary>
    /// The intents waiting for <paramref name="reviewer"/>'s vote: its own index entries and, unless it is <c>*</c>,
    /// those open to anyone that it did not request itself, oldest request first; optionally only those requested by
    /// <paramref name="requestedBy"/>.
    /// </summary>
    Task<ApprovalQueuePage> NeedsApproval(string reviewer, string? requestedBy, int page, int limit);
}

/// <summary>One entry of a reviewer's queue; <see cref="OpenToAnyone"/> when it came from the <c>*</c> index.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.queued_approval")]
public sealed record QueuedApproval
{
    [Id(0)] public PendingApproval Approval { get; init; } = new();

    [Id(1)] public bool OpenToAnyone { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.intents.approval_queue_page")]
public sealed record ApprovalQueuePage
{
    [Id(0)] public string Reviewer { get; init; } = "";

    [Id(1)] public IReadOnlyList<QueuedApproval> Items { get; init; } = [];

    [Id(2)] public int Page { get; init; }

    [Id(3)] public int Limit { get; init; }

    [Id(4)] public int Total { get; init; }
}
