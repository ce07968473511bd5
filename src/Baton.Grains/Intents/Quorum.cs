using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>The seat a vote counts for and how the voter came to hold it.</summary>
public sealed record SeatClaim(string Seat, IReadOnlyList<string> Via);

/// <summary>
/// Who may vote and when the votes make a decision. Each reviewer seat votes once per revision; the requester never
/// votes; a vote counts only for the revision and payload hash it was cast on, so a revision voids earlier approvals.
/// Enough approvals make the intent Approved; one rejection makes it Rejected.
/// </summary>
public static class Quorum
{
    /// <summary>The approvals that count now: current revision, current payload hash.</summary>
    public static int Counted(IntentState state)
    {
        var intent = state.Intent ?? throw new InvalidOperationException("The intent was not proposed.");
        return state.Reviews.Count(r => r.Decision == ReviewDecision.Approve && r.Revision == intent.Revision && r.PayloadHash == intent.PayloadHash);
    }

    public static bool IsReached(IntentState state) => Counted(state) >= state.Requirement.ApprovalsNeeded;

    /// <summary>
    /// The seat <paramref name="voter"/> may act for: <paramref name="onBehalfOf"/> when given, otherwise its own seat when
    /// open, otherwise the first open seat (ordinal order) delegated to it. Throws <see cref="ReviewRefusedException"/>.
    /// </summary>
    public static SeatClaim ResolveSeat(string intentId, IntentState state, string voter, string? onBehalfOf, IntentRules rules, DateTimeOffset now)
    {
        var intent = state.Intent ?? throw new InvalidOperationException("The intent was not proposed.");
        if (voter == intent.RequestedBy)
        {
            throw new ReviewRefusedException(intentId, voter, ReviewRefusal.SelfApproval, "the requester cannot review their own intent (cancel or revise it instead)");
        }

        var open = state.Requirement.Reviewers.Count == 0;
        bool IsSeat(string who) => who != intent.RequestedBy && (open || state.Requirement.Reviewers.Contains(who, StringComparer.Ordinal));

        IEnumerable<string> candidates = onBehalfOf is not null
            ? [onBehalfOf]
            : new[] { voter }.Concat((open ? Links(state, null, rules, now).Select(l => l.From) : state.Requirement.Reviewers).Where(s => s != voter).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

        var heldButClosed = false;
        foreach (var seat in candidates)
        {
            if (!IsSeat(seat))
            {
                continue;
            }

            IReadOnlyList<string>? via = seat == voter ? [] : Delegation.Chain(seat, voter, Links(state, seat, rules, now), intent.RequestedBy, rules.MaxDelegationDepth);
            if (via is null)
            {
                continue;
            }

            if (SeatClosedFor(state, seat, voter))
            {
                heldButClosed = true;
                continue;
            }

            return new SeatClaim(seat, via);
        }

        throw heldButClosed
            ? new ReviewRefusedException(intentId, voter, ReviewRefusal.AlreadyVoted, "this seat has already voted or been delegated on this revision")
            : new ReviewRefusedException(intentId, voter, ReviewRefusal.NotReviewer,
                onBehalfOf is null ? "not a reviewer of this intent and no seat is delegated to them" : $"holds no delegation of '{onBehalfOf}''s seat");
    }

    /// <summary>
    /// The delegation steps in force for this intent now: matching policies, and this revision's hand-overs of
    /// <paramref name="seat"/> (of every seat when null).
    /// </summary>
    public static IReadOnlyList<DelegationLink> Links(IntentState state, string? seat, IntentRules rules, DateTimeOffset now)
    {
        var intent = state.Intent!;
        return rules.Delegations
            .Where(p => Delegation.Matches(p, intent, state.Risk, now))
            .Select(p => new DelegationLink(p.Owner, p.Delegate, p.Cascade, p.Id))
            .Concat(state.Delegations
                .Where(d => d.Revision == intent.Revision && (seat is null || d.Seat == seat))
                .Select(d => new DelegationLink(d.From, d.To, true, Delegation.HandOver)))
            .ToList();
    }

    // A seat is closed once it voted on this revision; a voter who handed the seat on may not use it any more.
    private static bool SeatClosedFor(IntentState state, string seat, string voter)
    {
        var revision = state.Intent!.Revision;
        return state.Reviews.Any(r => r.Revision == revision && r.Reviewer == seat
            && (r.Decision != ReviewDecision.Delegate || r.CastBy == voter));
    }
}
