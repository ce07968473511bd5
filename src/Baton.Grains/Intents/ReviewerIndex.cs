using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>
/// Who should see a pending intent in their "needs my approval" list: every reviewer seat that has not voted on the
/// current revision, and whoever holds such a seat through a delegation policy or a hand-over (with
/// <see cref="PendingApproval.OnBehalfOf"/> naming the seat). An intent that anybody but the requester may review is
/// listed under <see cref="Anyone"/>. Nothing is listed once the intent is not pending.
/// </summary>
public static class ReviewerIndex
{
    /// <summary>The reviewer key of intents open to every reviewer but their requester.</summary>
    public const string Anyone = "*";

    public static IReadOnlyDictionary<string, PendingApproval> Entries(IntentState state, IntentRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(rules);
        var entries = new Dictionary<string, PendingApproval>(StringComparer.Ordinal);
        if (state.Intent is not { } intent || state.Phase != IntentPhase.PendingApproval)
        {
            return entries;
        }

        var requestedAt = state.PhaseHistory.LastOrDefault(c => c.To == IntentPhase.PendingApproval)?.At ?? intent.ProposedAt;
        var template = new PendingApproval
        {
            IntentId = intent.Id,
            Revision = intent.Revision,
            RequestedBy = intent.RequestedBy,
            Operation = intent.Operation,
            ResourceRef = intent.ResourceRef,
            RiskLevel = state.Risk.Level,
            RiskScore = state.Risk.Score,
            RequestedAt = requestedAt,
            Deadline = state.ApprovalDeadline ?? requestedAt + intent.ApprovalTimeout,
        };

        var reviews = state.Reviews.Where(r => r.Revision == intent.Revision).ToList();
        bool Voted(string seat) => reviews.Any(r => r.Reviewer == seat && r.Decision != ReviewDecision.Delegate);
        bool HandedOn(string seat, string holder) => reviews.Any(r => r.Reviewer == seat && r.Decision == ReviewDecision.Delegate && r.CastBy == holder);

        void Add(string holder, string? onBehalfOf)
        {
            if (holder == intent.RequestedBy || (entries.TryGetValue(holder, out var existing) && existing.OnBehalfOf is null))
            {
                return;
            }

            entries[holder] = template with { OnBehalfOf = onBehalfOf };
        }

        var open = state.Requirement.Reviewers.Count == 0;
        IEnumerable<string> seats = open
            ? Quorum.Links(state, null, rules, now).Select(l => l.From).Distinct(StringComparer.Ordinal)
            : state.Requirement.Reviewers;
        if (open)
        {
            entries[Anyone] = template;
        }

        foreach (var seat in seats.Where(s => s != intent.RequestedBy && !Voted(s)))
        {
            if (!open && !HandedOn(seat, seat))
            {
                Add(seat, null);
            }

            // Breadth first along the delegation links of this seat; only links that cascade pass it further.
            var links = Quorum.Links(state, seat, rules, now);
            var frontier = new List<(string Holder, bool MayCascade)> { (seat, true) };
            var seen = new HashSet<string>(StringComparer.Ordinal) { seat };
            for (var depth = 1; depth <= rules.MaxDelegationDepth && frontier.Count > 0; depth++)
            {
                var next = new List<(string, bool)>();
                foreach (var (holder, mayCascade) in frontier.Where(f => depth == 1 || f.MayCascade))
                {
                    foreach (var link in links.Where(l => l.From == holder && l.To != intent.RequestedBy && seen.Add(l.To)))
                    {
                        if (!HandedOn(seat, link.To))
                        {
                            Add(link.To, seat);
                        }

                        next.Add((link.To, link.Cascade));
                    }
                }

                frontier = next;
            }
        }

        return entries;
    }
}
