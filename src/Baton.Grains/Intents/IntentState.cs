using Baton.Contracts.Intents;
using Baton.Grains.Events;

namespace Baton.Grains.Intents;

/// <summary>
/// The whole persisted truth of one write intent; <see cref="IntentDecisions"/> makes every change to it. Plain settable
/// members and concrete lists so both Orleans' serializer and the JSON grain-storage serializer round-trip it.
/// </summary>
[GenerateSerializer, Alias("baton.intents.state")]
public sealed class IntentState : IEventOutboxState
{
    /// <summary>The write, latest revision; null until proposed.</summary>
    [Id(0)] public Intent? Intent { get; set; }

    /// <summary>The derived key of the write as first proposed: a repeat proposal must match it.</summary>
    [Id(1)] public string ContentHash { get; set; } = "";

    [Id(2)] public IntentPhase Phase { get; set; }

    [Id(3)] public RiskAssessment Risk { get; set; } = new();

    [Id(4)] public ApprovalRequirement Requirement { get; set; } = new();

    /// <summary>Every review record, all revisions, in order.</summary>
    [Id(5)] public List<ReviewRecord> Reviews { get; set; } = [];

    [Id(6)] public List<SeatDelegation> Delegations { get; set; } = [];

    [Id(7)] public List<IntentAttempt> Attempts { get; set; } = [];

    [Id(8)] public IntentOutcome? Outcome { get; set; }

    [Id(9)] public DateTimeOffset? ApprovalDeadline { get; set; }

    [Id(10)] public DateTimeOffset? NextAttemptAt { get; set; }

    [Id(11)] public List<PhaseChange> PhaseHistory { get; set; } = [];

    [Id(12)] public EventOutbox Outbox { get; set; } = new();

    /// <summary>
    /// The reviewers whose "needs my approval" index may still list this intent: grown in the write that adds entries,
    /// shrunk (lazily persisted) once their removal was delivered, so a crash in between only repeats removals.
    /// </summary>
    [Id(13)] public List<string> IndexedReviewers { get; set; } = [];

    /// <summary>
    /// The version of this intent's summary its <see cref="IIntentIndexGrain"/> shard confirmed storing (0: none).
    /// Raised in memory when the shard answers and stored with the next write; an activation that finds it behind
    /// (see <see cref="IntentIndexEntry.Behind"/>) sends the summary again, which the shard ignores if it has it.
    /// </summary>
    [Id(14)] public int IndexedVersion { get; set; }

    public bool Exists => Intent is not null;
}

/// <summary>The rules an intent is decided under: risk scoring, the approval policy and delegation policies.</summary>
public sealed record IntentRules
{
    public static IntentRules Default { get; } = new();

    public RiskRules Risk { get; init; } = RiskRules.Default;

    public ApprovalPolicy Approval { get; init; } = ApprovalPolicy.Default;

    public IReadOnlyList<DelegationPolicy> Delegations { get; init; } = [];

    /// <summary>The longest chain of delegations a vote may travel (owner → … → voter), ad-hoc seat hand-overs included.</summary>
    public int MaxDelegationDepth { get; init; } = 3;
}
