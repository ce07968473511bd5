using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>One step a reviewer seat can travel: a matching policy, or a hand-over made with the <c>delegate</c> action.</summary>
public sealed record DelegationLink(string From, string To, bool Cascade, string Via);

/// <summary>
/// Which delegation policies apply to an intent, and whether a seat can reach a voter through them. A chain starts at
/// the seat's owner; each further step needs the previous one to allow cascading (hand-overs always do); it may not
/// pass through the requester and may be at most the configured depth long.
/// </summary>
public static class Delegation
{
    public const string HandOver = "review";

    /// <summary>True when <paramref name="policy"/> is in force at <paramref name="now"/> and every condition it sets holds.</summary>
    public static bool Matches(DelegationPolicy policy, Intent intent, RiskAssessment risk, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(intent);
        ArgumentNullException.ThrowIfNull(risk);
        return (policy.ExpiresAt is not { } expires || now < expires)
            && (policy.Operations.Count == 0 || Glob.MatchesAny(policy.Operations, intent.Operation, ignoreCase: true))
            && (policy.ResourcePattern is null || Glob.Matches(policy.ResourcePattern, intent.ResourceRef))
            && (policy.RiskAbove is not { } above || risk.Score > above)
            && policy.Tags.All(tag => intent.Tags.Contains(tag, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The shortest chain from <paramref name="seat"/> to <paramref name="voter"/> (the <see cref="DelegationLink.Via"/>
    /// of each step), or null when none is allowed.
    /// </summary>
    public static IReadOnlyList<string>? Chain(string seat, string voter, IReadOnlyList<DelegationLink> links, string requester, int maxDepth)
    {
        var frontier = new List<(string Holder, bool MayCascade, List<string> Via)> { (seat, true, []) };
        var seen = new HashSet<string>(StringComparer.Ordinal) { seat };
        for (var depth = 1; depth <= maxDepth && frontier.Count > 0; depth++)
        {
            var next = new List<(string, bool, List<string>)>();
            foreach (var (holder, mayCascade, via) in frontier)
            {
                if (!mayCascade && depth > 1)
                {
                    continue;
                }

                foreach (var link in links.Where(l => l.From == holder))
                {
                    List<string> path = [.. via, link.Via];
                    if (link.To == voter)
                    {
                        return path;
                    }

                    if (link.To != requester && seen.Add(link.To))
                    {
                        next.Add((link.To, link.Cascade, path));
                    }
                }
            }

            frontier = next;
        }

        return null;
    }

    /// <summary>Throws <see cref="IntentValidationException"/> naming the first broken rule of <paramref name="policy"/>.</summary>
    public static void Validate(DelegationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (string.IsNullOrWhiteSpace(policy.Id))
        {
            throw new IntentValidationException(nameof(DelegationPolicy.Id), "must not be blank");
        }

        if (string.IsNullOrWhiteSpace(policy.Owner) || string.IsNullOrWhiteSpace(policy.Delegate))
        {
            throw new IntentValidationException(string.IsNullOrWhiteSpace(policy.Owner) ? nameof(DelegationPolicy.Owner) : nameof(DelegationPolicy.Delegate), "must not be blank");
        }

        if (policy.Owner == policy.Delegate)
        {
            throw new IntentValidationException(nameof(DelegationPolicy.Delegate), "must differ from the owner");
        }

        if (policy.RiskAbove is < 0 or > 100)
        {
            throw new IntentValidationException(nameof(DelegationPolicy.RiskAbove), $"must be 0–100 (got {policy.RiskAbove})");
        }

        if (policy.Operations.Any(string.IsNullOrEmpty) || policy.ResourcePattern is "")
        {
            throw new IntentValidationException(policy.ResourcePattern is "" ? nameof(DelegationPolicy.ResourcePattern) : nameof(DelegationPolicy.Operations), "patterns must not be empty");
        }
    }
}
