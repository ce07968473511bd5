namespace Baton.Contracts.Intents;

[GenerateSerializer, Alias("baton.intents.review_refusal")]
public enum ReviewRefusal
{
    /// <summary>The requester tried to review (or be handed a seat on) their own intent.</summary>
    SelfApproval = 0,

    /// <summary>The caller's seat already voted or was delegated on this revision.</summary>
    AlreadyVoted = 1,

    /// <summary>The caller is not a reviewer of this intent and holds no delegated seat.</summary>
    NotReviewer = 2,

    /// <summary>The review names a payload hash that is no longer current.</summary>
    StalePayload = 3,

    /// <summary>A delegation was refused: to oneself, to somebody already holding the seat, or deeper than allowed.</summary>
    DelegationRefused = 4,
}

/// <summary>A review was refused; nothing was changed. <see cref="Refusal"/> says why.</summary>
[GenerateSerializer, Alias("baton.intents.review_refused")]
public sealed class ReviewRefusedException : Exception
{
    public ReviewRefusedException()
    {
    }

    public ReviewRefusedException(string message) : base(message)
    {
    }

    public ReviewRefusedException(string message, Exception inner) : base(message, inner)
    {
    }

    public ReviewRefusedException(string intentId, string reviewer, ReviewRefusal refusal, string explanation)
        : base($"Review of intent '{intentId}' by '{reviewer}' refused ({refusal}): {explanation}")
    {
        IntentId = intentId;
        Reviewer = reviewer;
        Refusal = refusal;
    }

    [Id(0)] public string IntentId { get; private set; } = "";

    [Id(1)] public string Reviewer { get; private set; } = "";

    [Id(2)] public ReviewRefusal Refusal { get; private set; }
}
