using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Tests.Intents;

/// <summary>What a stored approval policy must satisfy, and the rules an intent is decided under once one is stored.</summary>
public sealed class StoredPolicyTests
{
    private static ApprovalPolicyDefinition Valid() => new()
    {
        Levels =
        [
            new LevelRequirement { Level = RiskLevel.Low, Approvals = 2 },
            new LevelRequirement { Level = RiskLevel.High, Approvals = 2, ReviewerGroups = ["ops"] },
        ],
        Groups = new Dictionary<string, IReadOnlyList<string>> { ["ops"] = ["olga", "oscar"] },
    };

    [Fact]
    public void A_valid_policy_passes_and_replaces_the_configured_approval_policy_but_keeps_configured_risk_rules_and_delegations()
    {
        IntentPolicies.Validate(Valid(), null);
        var stored = new StoredIntentPolicy { Version = 3, Approval = Valid() };

        var rules = IntentPolicies.Apply(IntentTestRules.Rules, stored);
        var decision = rules.Approval.Decide("test", "create", "agent-7", new RiskAssessment { Level = RiskLevel.Low });

        Assert.Equal(2, decision.ApprovalsNeeded);
        Assert.False(decision.AutoApproved);
        Assert.Same(IntentTestRules.Rules.Risk, rules.Risk);
        Assert.Equal(IntentTestRules.Rules.Delegations, rules.Delegations);
        Assert.Same(IntentTestRules.Rules, IntentPolicies.Apply(IntentTestRules.Rules, null));
    }

    [Fact]
    public void Stored_risk_rules_replace_the_configured_ones()
    {
        var risk = new RiskRuleSet { Rules = [new RiskRule { Name = "everything", Kind = RiskRuleKind.Interface, Weight = 80, Patterns = ["*"] }] };

        var rules = IntentPolicies.Apply(IntentRules.Default, new StoredIntentPolicy { Version = 1, Approval = Valid(), Risk = risk });

        Assert.Equal(RiskLevel.Critical, rules.Risk.Assess(new RiskSubject("http", "create", "repo:x", 2, [])).Level);
    }

    [Theory]
    [InlineData("unknown_group", "Levels[High]")]
    [InlineData("zero_approvals", "Levels[Low]")]
    [InlineData("auto_approve_high", "Levels[High]")]
    [InlineData("empty_group", "Groups[ops]")]
    [InlineData("no_levels", "Levels")]
    [InlineData("bad_thresholds", "MediumFrom")]
    [InlineData("rule_without_patterns", "Rules[r]")]
    public void An_invalid_policy_is_refused_naming_the_field(string breakage, string field)
    {
        var approval = Valid();
        RiskRuleSet? risk = null;
        switch (breakage)
        {
            case "unknown_group":
                approval = approval with { Groups = new Dictionary<string, IReadOnlyList<string>> { ["sre"] = ["sam"] } };
                break;
            case "zero_approvals":
                approval = approval with { Levels = [new LevelRequirement { Level = RiskLevel.Low, Approvals = 0 }] };
                break;
            case "auto_approve_high":
                approval = approval with { Levels = [new LevelRequirement { Level = RiskLevel.High, Approvals = 1, AutoApprove = true }] };
                break;
            case "empty_group":
                approval = approval with { Groups = new Dictionary<string, IReadOnlyList<string>> { ["ops"] = [] } };
                break;
            case "no_levels":
                approval = approval with { Levels = null! };
                break;
            case "bad_thresholds":
                risk = new RiskRuleSet { MediumFrom = 60, HighFrom = 50 };
                break;
            case "rule_without_patterns":
                risk = new RiskRuleSet { Rules = [new RiskRule { Name = "r", Kind = RiskRuleKind.Operation, Weight = 10 }] };
                break;
        }

        var refusal = Assert.Throws<IntentValidationException>(() => IntentPolicies.Validate(approval, risk));

        Assert.Equal(field, refusal.Field);
    }
}
