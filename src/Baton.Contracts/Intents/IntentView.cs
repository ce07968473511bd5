namespace Baton.Contracts.Intents;

/// <summary>Everything known about one intent: the write, its phase, risk, reviews, attempts and outcome.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.view")]
public sealed record IntentView
{
    [Id(0)] public Intent Intent { get; init; } = new();

    [Id(1)] public IntentPhase Phase { get; init; }

    [Id(2)] public RiskAssessment Risk { get; init; } = new();

    [Id(3)] public ApprovalRequirement Requirement { get; init; } = new();

    /// <summary>Every vote ever cast, revisions included; only those of the current revision count.</summary>
    [Id(4)] public IReadOnlyList<ReviewRecord> Approvals { get; init; } = [];

    /// <summary>Approvals of the current revision and payload that count toward the quorum.</summary>
    [Id(5)] public int ApprovalsCounted { get; init; }

    [Id(6)] public IReadOnlyList<IntentAttempt> Attempts { get; init; } = [];

    /// <summary>How it ended; null until a terminal phase.</summary>
    [Id(7)] public IntentOutcome? Outcome { get; init; }

    /// <summary>When a pending intent expires.</summary>
    [Id(8)] public DateTimeOffset? ApprovalDeadline { get; init; }

    /// <summary>When the next attempt is due while <see cref="IntentPhase.Retrying"/>.</summary>
    [Id(9)] public DateTimeOffset? NextAttemptAt { get; init; }

    [Id(10)] public IReadOnlyList<PhaseChange> PhaseHistory { get; init; } = [];

    /// <summary>Seats handed on with the <c>delegate</c> review action, for this intent only.</summary>
    [Id(11)] public IReadOnlyList<SeatDelegation> Delegations { get; init; } = [];
}

[GenerateSerializer, Alias("baton.intents.risk_level")]
public enum RiskLevel
{
    Low = 0,
    Medium = 1,
    High = 2,
    Critical = 3,
}

/// <summary>A risk score 0–100, its level, and the factors that made it up.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.risk")]
public sealed record RiskAssessment
{
    [Id(0)] public int Score { get; init; }

    [Id(1)] public RiskLevel Level { get; init; }

    /// <summary>The rules that contributed, in rule order; the contributions sum to the score before the cap at 100.</summary>
    [Id(2)] public IReadOnlyList<RiskFactor> Factors { get; init; } = [];
}

/// <summary>One rule's part in a risk score.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.risk_factor")]
public sealed record RiskFactor
{
    [Id(0)] public string Name { get; init; } = "";

    /// <summary>The most the rule can add.</summary>
    [Id(1)] public int Weight { get; init; }

    /// <summary>What it added for this intent: 0–<see cref="Weight"/>.</summary>
    [Id(2)] public int Contribution { get; init; }

    /// <summary>Why, e.g. <c>operation 'delete' matches 'delete*'</c>.</summary>
    [Id(3)] public string Detail { get; init; } = "";
}

/// <summary>What an intent needs before it is approved.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.requirement")]
public sealed record ApprovalRequirement
{
    [Id(0)] public int ApprovalsNeeded { get; init; }

    /// <summary>The groups reviewers are drawn from; empty means anybody but the requester.</summary>
    [Id(1)] public IReadOnlyList<string> ReviewerGroups { get; init; } = [];

    /// <summary>The members of those groups, the requester excluded; empty when the groups are empty.</summary>
    [Id(2)] public IReadOnlyList<string> Reviewers { get; init; } = [];

    /// <summary>True when the policy approved the intent without a review.</summary>
    [Id(3)] public bool AutoApproved { get; init; }

    /// <summary>Why this requirement, e.g. <c>level Low; operation 'delete' needs at least 1</c>.</summary>
    [Id(4)] public string Basis { get; init; } = "";
}

/// <summary>One review action on an intent.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.review_record")]
public sealed record ReviewRecord
{
    /// <summary>The reviewer seat the vote counts for.</summary>
    [Id(0)] public string Reviewer { get; init; } = "";

    /// <summary>Who cast it: the reviewer, or a delegate on their behalf.</summary>
    [Id(1)] public string CastBy { get; init; } = "";

    [Id(2)] public ReviewDecision Decision { get; init; }

    [Id(3)] public string? Reason { get; init; }

    [Id(4)] public string? DelegateTo { get; init; }

    [Id(5)] public DateTimeOffset At { get; init; }

    /// <summary>The revision voted on; a vote counts only for the current revision.</summary>
    [Id(6)] public int Revision { get; init; }

    /// <summary>The payload hash the vote is bound to.</summary>
    [Id(7)] public string PayloadHash { get; init; } = "";

    /// <summary>The delegation chain from <see cref="Reviewer"/> to <see cref="CastBy"/>: policy ids or <c>review</c> for a delegate action; empty for a direct vote.</summary>
    [Id(8)] public IReadOnlyList<string> Via { get; init; } = [];
}

/// <summary>A reviewer seat handed to somebody else for one intent (the <c>delegate</c> review action).</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.seat_delegation")]
public sealed record SeatDelegation
{
    [Id(0)] public string From { get; init; } = "";

    [Id(1)] public string To { get; init; } = "";

    [Id(2)] public int Revision { get; init; }

    [Id(3)] public string? Reason { get; init; }

    [Id(4)] public DateTimeOffset At { get; init; }

    /// <summary>The reviewer seat handed on; differs from <see cref="From"/> when a delegate passes the seat further.</summary>
    [Id(5)] public string Seat { get; init; } = "";
}

/// <summary>One try at the side effect.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.attempt")]
public sealed record IntentAttempt
{
    /// <summary>1 for the first attempt.</summary>
    [Id(0)] public int Number { get; init; }

    [Id(1)] public DateTimeOffset StartedAt { get; init; }

    /// <summary>Null while the attempt is in flight.</summary>
    [Id(2)] public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Null while in flight.</summary>
    [Id(3)] public ExecutionOutcome? Outcome { get; init; }

    [Id(4)] public string? Detail { get; init; }

    [Id(5)] public int? StatusCode { get; init; }

    /// <summary>Why the attempt ended without an executor answer: <c>stale_fence</c> (refused before the side effect) or <c>interrupted</c> (the silo died).</summary>
    [Id(6)] public string? Reason { get; init; }
}

/// <summary>How an intent ended.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.outcome")]
public sealed record IntentOutcome
{
    [Id(0)] public IntentPhase Phase { get; init; }

    /// <summary>
    /// A code: <c>succeeded</c>, <c>permanent_failure</c>, <c>attempts_exhausted</c>, <c>stale_fence</c>,
    /// <c>rejected</c>, <c>expired</c> or <c>cancelled</c>.
    /// </summary>
    [Id(1)] public string Reason { get; init; } = "";

    [Id(2)] public string? Detail { get; init; }

    [Id(3)] public DateTimeOffset At { get; init; }

    [Id(4)] public string? Actor { get; init; }
}

/// <summary>One step of the phase machine.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.phase_change")]
public sealed record PhaseChange
{
    [Id(0)] public IntentPhase From { get; init; }

    [Id(1)] public IntentPhase To { get; init; }

    [Id(2)] public DateTimeOffset At { get; init; }

    /// <summary>Who caused it; null for the clock (expiry, retries) and the executor.</summary>
    [Id(3)] public string? Actor { get; init; }

    [Id(4)] public string? Reason { get; init; }
}
