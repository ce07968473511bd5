using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>
/// The stored approval policy over the configured rules: what a stored policy must satisfy to be accepted, and the
/// rules an intent is decided under once one is stored.
/// </summary>
public static class IntentPolicies
{
    public const int MaxGroups = 100;
    public const int MaxGroupMembers = 1000;
    public const int MaxRules = 100;
    public const int MaxPatterns = 50;
    public const int MaxNameLength = 64;

    /// <summary>
    /// The rules to decide under: <paramref name="configured"/> with the stored approval policy, and the stored risk
    /// rules when there are any; delegation policies and the delegation depth stay as configured.
    /// </summary>
    public static IntentRules Apply(IntentRules configured, StoredIntentPolicy? stored)
    {
        ArgumentNullException.ThrowIfNull(configured);
        return stored is null
            ? configured
            : configured with
            {
                Approval = new ApprovalPolicy(stored.Approval),
                Risk = stored.Risk is null ? configured.Risk : new RiskRules(stored.Risk),
            };
    }

    /// <summary>
    /// Throws <see cref="IntentValidationException"/> naming the first broken field: what <see cref="ApprovalPolicy.Validate"/>
    /// and <see cref="RiskRules.Validate"/> check, and also that lists are present, that every reviewer group a level
    /// names is defined with at least one member, and that names, patterns and sizes stay within bounds.
    /// </summary>
    public static void Validate(ApprovalPolicyDefinition? approval, RiskRuleSet? risk)
    {
        if (approval is null)
        {
            throw new IntentValidationException(nameof(StoredIntentPolicy.Approval), "is required");
        }

        if (approval.Levels is null)
        {
            throw new IntentValidationException(nameof(ApprovalPolicyDefinition.Levels), "is required");
        }

        if (approval.OperationMinimums is null)
        {
            throw new IntentValidationException(nameof(ApprovalPolicyDefinition.OperationMinimums), "must be a list");
        }

        if (approval.Groups is null || approval.Groups.Count > MaxGroups)
        {
            throw new IntentValidationException(nameof(ApprovalPolicyDefinition.Groups), $"must map at most {MaxGroups} group names to their members");
        }

        foreach (var (name, members) in approval.Groups)
        {
            var field = $"{nameof(ApprovalPolicyDefinition.Groups)}[{name}]";
            if (!IsName(name))
            {
                throw new IntentValidationException(field, $"group names must be 1–{MaxNameLength} characters without whitespace");
            }

            if (members is not { Count: > 0 and <= MaxGroupMembers }
                || members.Any(m => string.IsNullOrWhiteSpace(m) || m.Length > IntentLimits.MaxPrincipalLength || m.Any(char.IsControl)))
            {
                throw new IntentValidationException(field, $"needs 1–{MaxGroupMembers} members, each 1–{IntentLimits.MaxPrincipalLength} characters");
            }
        }

        foreach (var level in approval.Levels)
        {
            if (level is null || level.ReviewerGroups is null || level.AutoApproveInterfaces is null)
            {
                throw new IntentValidationException(nameof(ApprovalPolicyDefinition.Levels), "each level needs its reviewer group and auto-approve interface lists");
            }

            var field = $"{nameof(ApprovalPolicyDefinition.Levels)}[{level.Level}]";
            if (level.ReviewerGroups.FirstOrDefault(g => g is null || !approval.Groups.ContainsKey(g)) is { } unknown)
            {
                throw new IntentValidationException(field, $"reviewer group '{unknown}' is not defined in groups");
            }

            if (level.AutoApproveInterfaces.Count > MaxPatterns || level.AutoApproveInterfaces.Any(p => !IsName(p)))
            {
                throw new IntentValidationException(field, $"auto-approve interfaces must be at most {MaxPatterns} patterns of 1–{MaxNameLength} characters");
            }
        }

        if (approval.OperationMinimums.Any(m => m is null || !IsName(m.Operation)))
        {
            throw new IntentValidationException(nameof(ApprovalPolicyDefinition.OperationMinimums), $"each needs an operation pattern of 1–{MaxNameLength} characters");
        }

        ApprovalPolicy.Validate(approval);
        if (risk is null)
        {
            return;
        }

        if (risk.Rules is null || risk.Rules.Count > MaxRules)
        {
            throw new IntentValidationException(nameof(RiskRuleSet.Rules), $"must be a list of at most {MaxRules} rules");
        }

        foreach (var rule in risk.Rules)
        {
            if (rule is null || rule.Patterns is null || rule.Patterns.Count > MaxPatterns || (rule.Name is { Length: > MaxNameLength }))
            {
                throw new IntentValidationException($"{nameof(RiskRuleSet.Rules)}[{rule?.Name}]", $"needs a name of at most {MaxNameLength} characters and at most {MaxPatterns} patterns");
            }
        }

        RiskRules.Validate(risk);
    }

    private static bool IsName(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxNameLength && !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
}
