namespace Baton.Contracts.Intents;

[GenerateSerializer, Alias("baton.intents.review_decision")]
public enum ReviewDecision
{
    Approve = 0,
    Reject = 1,
    RequestChanges = 2,

    /// <summary>Hand this reviewer's seat to <see cref="ReviewAction.DelegateTo"/> for this intent; it is not a vote.</summary>
    Delegate = 3,
}

/// <summary>
/// A review of one intent. The reviewer is the authenticated caller, passed beside the action and never part of it.
/// A reason is required to reject or request changes.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.intents.review_action")]
public sealed record ReviewAction
{
    [Id(0)] public ReviewDecision Decision { get; init; }

    [Id(1)] public string? Reason { get; init; }

    /// <summary>Required for <see cref="ReviewDecision.Delegate"/>, refused otherwise.</summary>
    [Id(2)] public string? DelegateTo { get; init; }

    /// <summary>The seat to vote for when the caller holds several (its own and delegated ones); null picks its own first.</summary>
    [Id(3)] public string? OnBehalfOf { get; init; }

    /// <summary>The payload hash the reviewer looked at; when set and no longer current the review is refused.</summary>
    [Id(4)] public string? PayloadHash { get; init; }
}

/// <summary>What a review did.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.review_result")]
public sealed record ReviewResult
{
    [Id(0)] public string IntentId { get; init; } = "";

    [Id(1)] public ReviewRecord Record { get; init; } = new();

    /// <summary>The intent's phase after the review.</summary>
    [Id(2)] public IntentPhase Phase { get; init; }

    [Id(3)] public int ApprovalsCounted { get; init; }

    [Id(4)] public int ApprovalsNeeded { get; init; }
}
