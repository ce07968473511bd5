using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>
/// Decides what an intent needs from its risk: the number of approvals and the reviewer groups of its level, raised to
/// any <see cref="OperationMinimum"/> its operation matches, or auto-approval when the level is Low, the level says so,
/// the interface is one auto-approval is limited to, and no operation minimum applies.
/// </summary>
public sealed class ApprovalPolicy
{
    /// <summary>
    /// The policy used when none is configured: Low needs one approval but an <c>entity</c> write auto-approves; Medium
    /// one, High two, Critical three, from anybody but the requester; any delete needs at least one approval whatever
    /// its risk (so a delete never auto-approves).
    /// </summary>
    public static ApprovalPolicyDefinition DefaultDefinition { get; } = new()
    {
        Levels = new List<LevelRequirement>
        {
            new() { Level = RiskLevel.Low, Approvals = 1, AutoApprove = true, AutoApproveInterfaces = ["entity"] },
            new() { Level = RiskLevel.Medium, Approvals = 1 },
            new() { Level = RiskLevel.High, Approvals = 2 },
            new() { Level = RiskLevel.Critical, Approvals = 3 },
        },
        OperationMinimums = RiskRules.DeletePatterns.Select(p => new OperationMinimum { Operation = p, Approvals = 1 }).ToList(),
    };

    public static ApprovalPolicy Default { get; } = new(DefaultDefinition);

    public const int MaxApprovals = 10;

    public ApprovalPolicy(ApprovalPolicyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Validate(definition);
        Definition = definition;
    }

    public ApprovalPolicyDefinition Definition { get; }

    public ApprovalRequirement Decide(string interfaceKey, string operation, string requestedBy, RiskAssessment risk)
    {
        ArgumentNullException.ThrowIfNull(risk);
        var level = Definition.Levels.FirstOrDefault(l => l.Level == risk.Level) ?? new LevelRequirement { Level = risk.Level, Approvals = 1 };
        var minimums = Definition.OperationMinimums.Where(m => Glob.Matches(m.Operation, operation, ignoreCase: true)).ToList();
        var floor = minimums.Count == 0 ? 0 : minimums.Max(m => m.Approvals);
        var needed = Math.Max(level.Approvals, floor);
        var basis = $"level {risk.Level} needs {level.Approvals}";
        // Named whenever one applies: it also explains why a Low write did not auto-approve.
        if (minimums.Count > 0)
        {
            basis += $"; operation '{operation}' needs at least {floor}";
        }

        var auto = risk.Level == RiskLevel.Low && level.AutoApprove && minimums.Count == 0
            && (level.AutoApproveInterfaces.Count == 0 || Glob.MatchesAny(level.AutoApproveInterfaces, interfaceKey, ignoreCase: true));
        if (auto)
        {
            basis = $"level {risk.Level} auto-approves interface '{interfaceKey}'";
        }

        var reviewers = level.ReviewerGroups
            .SelectMany(g => Definition.Groups.TryGetValue(g, out var members) ? members : [])
            .Where(m => !string.Equals(m, requestedBy, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new ApprovalRequirement
        {
            ApprovalsNeeded = auto ? 0 : needed,
            ReviewerGroups = level.ReviewerGroups.ToList(),
            Reviewers = reviewers,
            AutoApproved = auto,
            Basis = basis,
        };
    }

    /// <summary>Throws <see cref="IntentValidationException"/> naming the first broken rule of <paramref name="definition"/>.</summary>
    public static void Validate(ApprovalPolicyDefinition definition)
    {
        var seen = new HashSet<RiskLevel>();
        foreach (var level in definition.Levels ?? [])
        {
            var field = $"Levels[{level.Level}]";
            if (!Enum.IsDefined(level.Level) || !seen.Add(level.Level))
            {
                throw new IntentValidationException(field, "each level may appear once");
            }

            if (level.Approvals is < 1 or > MaxApprovals)
            {
                throw new IntentValidationException(field, $"approvals must be 1–{MaxApprovals} (got {level.Approvals})");
            }

            if (level.AutoApprove && level.Level != RiskLevel.Low)
            {
                throw new IntentValidationException(field, "only the Low level may auto-approve");
            }

            if (level.ReviewerGroups.Any(string.IsNullOrWhiteSpace))
            {
                throw new IntentValidationException(field, "reviewer group names must not be blank");
            }
        }

        foreach (var minimum in definition.OperationMinimums ?? [])
        {
            if (string.IsNullOrEmpty(minimum.Operation) || minimum.Approvals is < 1 or > MaxApprovals)
            {
                throw new IntentValidationException("OperationMinimums", $"each needs an operation pattern and 1–{MaxApprovals} approvals");
            }
        }
    }
}
