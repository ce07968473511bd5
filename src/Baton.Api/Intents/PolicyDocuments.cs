using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Api.Intents;

/// <summary>
/// The body of <c>POST /api/v1/approvals/policies</c>: the whole approval policy, and optionally risk rules (omitted:
/// the configured ones apply). Levels and kinds are snake_case (<c>low</c>, <c>resource_type</c>, …).
/// </summary>
public sealed record PolicyBody(
    IReadOnlyList<LevelBody?>? Levels,
    IReadOnlyList<OperationMinimumBody?>? OperationMinimums,
    IReadOnlyList<GroupBody?>? Groups,
    RiskRulesBody? RiskRules,
    int? ExpectedVersion)
{
    /// <summary>The grain request; throws <see cref="IntentValidationException"/> naming the JSON field of anything missing or unknown.</summary>
    public ReplaceIntentPolicy ToRequest(string actor)
    {
        if (Levels is null)
        {
            throw new IntentValidationException("levels", "is required: one entry per risk level (low, medium, high, critical)");
        }

        var levels = Levels.Select((l, i) =>
        {
            var field = $"levels[{i}]";
            if (l is null)
            {
                throw new IntentValidationException(field, "must be an object");
            }

            if (!TryParse<RiskLevel>(l.Level, out var level))
            {
                throw new IntentValidationException($"{field}.level", $"must be low, medium, high or critical (got '{l.Level}')");
            }

            return new LevelRequirement
            {
                Level = level,
                Approvals = l.Approvals ?? throw new IntentValidationException($"{field}.approvals", "is required"),
                ReviewerGroups = l.ReviewerGroups ?? [],
                AutoApprove = l.AutoApprove ?? false,
                AutoApproveInterfaces = l.AutoApproveInterfaces ?? [],
            };
        }).ToList();

        var minimums = (OperationMinimums ?? []).Select((m, i) => m is null
            ? throw new IntentValidationException($"operation_minimums[{i}]", "must be an object")
            : new OperationMinimum
            {
                Operation = m.Operation ?? "",
                Approvals = m.Approvals ?? throw new IntentValidationException($"operation_minimums[{i}].approvals", "is required"),
            }).ToList();

        var groups = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (g, i) in (Groups ?? []).Select((g, i) => (g, i)))
        {
            if (g?.Name is not { } name || !groups.TryAdd(name, g.Members ?? []))
            {
                throw new IntentValidationException($"groups[{i}].name", "every group needs a name, unique in the policy");
            }
        }

        return new ReplaceIntentPolicy
        {
            Approval = new ApprovalPolicyDefinition { Levels = levels, OperationMinimums = minimums, Groups = groups },
            Risk = RiskRules?.ToSet(),
            Actor = actor,
            ExpectedVersion = ExpectedVersion,
        };
    }

    internal static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (IntentEndpoints.Snake(candidate.ToString()) == text)
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }
}

public sealed record LevelBody(string? Level, int? Approvals, IReadOnlyList<string>? ReviewerGroups, bool? AutoApprove, IReadOnlyList<string>? AutoApproveInterfaces);

public sealed record OperationMinimumBody(string? Operation, int? Approvals);

public sealed record GroupBody(string? Name, IReadOnlyList<string>? Members);

public sealed record RiskRulesBody(IReadOnlyList<RiskRuleBody?>? Rules, int? MediumFrom, int? HighFrom, int? CriticalFrom)
{
    public RiskRuleSet ToSet()
    {
        var defaults = new RiskRuleSet();
        return new RiskRuleSet
        {
            Rules = (Rules ?? throw new IntentValidationException("risk_rules.rules", "is required")).Select((r, i) =>
            {
                var field = $"risk_rules.rules[{i}]";
                if (r is null)
                {
                    throw new IntentValidationException(field, "must be an object");
                }

                if (!PolicyBody.TryParse<RiskRuleKind>(r.Kind, out var kind))
                {
                    throw new IntentValidationException($"{field}.kind", $"must be resource_type, operation, payload_size, tag or interface (got '{r.Kind}')");
                }

                return new RiskRule
                {
                    Name = r.Name ?? "",
                    Kind = kind,
                    Weight = r.Weight ?? throw new IntentValidationException($"{field}.weight", "is required"),
                    Patterns = r.Patterns ?? [],
                    AboveBytes = r.AboveBytes ?? 0,
                    FullAtBytes = r.FullAtBytes ?? 0,
                };
            }).ToList(),
            MediumFrom = MediumFrom ?? defaults.MediumFrom,
            HighFrom = HighFrom ?? defaults.HighFrom,
            CriticalFrom = CriticalFrom ?? defaults.CriticalFrom,
        };
    }
}

public sealed record RiskRuleBody(string? Name, string? Kind, int? Weight, IReadOnlyList<string>? Patterns, int? AboveBytes, int? FullAtBytes);

public sealed record LevelDocument(string Level, int Approvals, IReadOnlyList<string> ReviewerGroups, bool AutoApprove, IReadOnlyList<string> AutoApproveInterfaces);

public sealed record OperationMinimumDocument(string Operation, int Approvals);

public sealed record GroupDocument(string Name, IReadOnlyList<string> Members);

public sealed record RiskRuleDocument(string Name, string Kind, int Weight, IReadOnlyList<string> Patterns, int AboveBytes, int FullAtBytes);

public sealed record RiskRulesDocument(IReadOnlyList<RiskRuleDocument> Rules, int MediumFrom, int HighFrom, int CriticalFrom);

/// <summary>
/// What <c>GET|POST /api/v1/approvals/policies</c> answer: the policy in force, its <c>version</c> (0 while the
/// configured one applies) and <c>source</c> (<c>stored</c> or <c>configured</c>), and the risk rules in force with
/// their own <c>risk_rules_source</c>. Its shape is the body <c>POST</c> takes.
/// </summary>
public sealed record PolicyDocument(
    int Version,
    string Source,
    DateTimeOffset? UpdatedAt,
    string? UpdatedBy,
    IReadOnlyList<LevelDocument> Levels,
    IReadOnlyList<OperationMinimumDocument> OperationMinimums,
    IReadOnlyList<GroupDocument> Groups,
    string RiskRulesSource,
    RiskRulesDocument RiskRules)
{
    public static PolicyDocument From(StoredIntentPolicy? stored, IntentRules configured)
    {
        var approval = stored?.Approval ?? configured.Approval.Definition;
        var risk = stored?.Risk ?? configured.Risk.Set;
        return new PolicyDocument(
            stored?.Version ?? 0,
            stored is null ? "configured" : "stored",
            stored?.UpdatedAt,
            stored?.UpdatedBy,
            approval.Levels.OrderBy(l => l.Level)
                .Select(l => new LevelDocument(IntentEndpoints.Snake(l.Level.ToString()), l.Approvals, l.ReviewerGroups, l.AutoApprove, l.AutoApproveInterfaces))
                .ToList(),
            approval.OperationMinimums.Select(m => new OperationMinimumDocument(m.Operation, m.Approvals)).ToList(),
            approval.Groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new GroupDocument(g.Key, g.Value)).ToList(),
            stored?.Risk is null ? "configured" : "stored",
            new RiskRulesDocument(
                risk.Rules.Select(r => new RiskRuleDocument(r.Name, IntentEndpoints.Snake(r.Kind.ToString()), r.Weight, r.Patterns, r.AboveBytes, r.FullAtBytes)).ToList(),
                risk.MediumFrom,
                risk.HighFrom,
                risk.CriticalFrom));
    }
}
