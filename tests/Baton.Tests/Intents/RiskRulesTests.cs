using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Tests.Intents;

/// <summary>Risk is the capped sum of the matching rules' contributions, shown factor by factor, with a level from the thresholds.</summary>
public sealed class RiskRulesTests
{
    private static RiskSubject Subject(string interfaceKey = "entity", string operation = "update", string resourceRef = "ticket:42", int bytes = 100, params string[] tags) =>
        new(interfaceKey, operation, resourceRef, bytes, tags);

    [Fact]
    public void A_plain_entity_update_scores_zero_and_is_low()
    {
        var risk = RiskRules.Default.Assess(Subject());

        Assert.Equal(0, risk.Score);
        Assert.Equal(RiskLevel.Low, risk.Level);
        Assert.Empty(risk.Factors);
    }

    [Theory]
    [InlineData("delete", 40, RiskLevel.Medium)]
    [InlineData("delete-branch", 40, RiskLevel.Medium)]
    [InlineData("repo.delete", 40, RiskLevel.Medium)]
    [InlineData("force-push", 60, RiskLevel.High)]
    [InlineData("create", 0, RiskLevel.Low)]
    public void Operation_verbs_are_scored_with_the_rule_named(string operation, int score, RiskLevel level)
    {
        var risk = RiskRules.Default.Assess(Subject(operation: operation));

        Assert.Equal((score, level), (risk.Score, risk.Level));
        if (score > 0)
        {
            var factor = Assert.Single(risk.Factors);
            Assert.Equal((score, score), (factor.Weight, factor.Contribution));
            Assert.Contains(operation, factor.Detail);
        }
    }

    [Fact]
    public void Factors_add_up_and_the_score_is_capped_at_100()
    {
        var risk = RiskRules.Default.Assess(Subject("http", "force-push", "prod-db:main", IntentLimits.MaxPayloadBytes, "security"));

        Assert.Equal(["force_push", "production_resource", "sensitive_tag", "large_payload", "external_http"], risk.Factors.Select(f => f.Name));
        Assert.Equal(60 + 30 + 25 + 15 + 10, risk.Factors.Sum(f => f.Contribution));
        Assert.Equal(100, risk.Score);
        Assert.Equal(RiskLevel.Critical, risk.Level);
    }

    [Fact]
    public void Resource_type_is_the_part_before_the_colon_and_tags_match_case_insensitively()
    {
        Assert.Equal(30, RiskRules.Default.Assess(Subject(resourceRef: "production:cluster/eu")).Score);
        Assert.Equal(0, RiskRules.Default.Assess(Subject(resourceRef: "ticket:production")).Score);
        Assert.Equal(25, RiskRules.Default.Assess(Subject(tags: "PII")).Score);
    }

    [Fact]
    public void Payload_size_grows_linearly_between_its_bounds()
    {
        var rules = new RiskRules(new RiskRuleSet
        {
            Rules = [new RiskRule { Name = "size", Kind = RiskRuleKind.PayloadSize, Weight = 40, AboveBytes = 1000, FullAtBytes = 3000 }],
        });

        Assert.Equal(0, rules.Assess(Subject(bytes: 1000)).Score);
        Assert.Equal(20, rules.Assess(Subject(bytes: 2000)).Score);
        Assert.Equal(40, rules.Assess(Subject(bytes: 3000)).Score);
        Assert.Equal(40, rules.Assess(Subject(bytes: 9000)).Score);
        Assert.Contains("2000 bytes", rules.Assess(Subject(bytes: 2000)).Factors[0].Detail);
    }

    [Fact]
    public void Levels_follow_the_configured_thresholds()
    {
        var rules = new RiskRules(new RiskRuleSet
        {
            Rules = [new RiskRule { Name = "any", Kind = RiskRuleKind.Interface, Weight = 10, Patterns = ["*"] }],
            MediumFrom = 5,
            HighFrom = 10,
            CriticalFrom = 90,
        });

        Assert.Equal(RiskLevel.High, rules.Assess(Subject()).Level);
        Assert.Equal([RiskLevel.Low, RiskLevel.Medium, RiskLevel.High, RiskLevel.Critical], new[] { 4, 5, 89, 90 }.Select(rules.LevelOf));
    }

    [Fact]
    public void Invalid_rule_sets_are_refused()
    {
        Assert.Throws<IntentValidationException>(() => new RiskRules(new RiskRuleSet { MediumFrom = 50, HighFrom = 40 }));
        Assert.Throws<IntentValidationException>(() => new RiskRules(new RiskRuleSet { Rules = [new RiskRule { Name = "x", Kind = RiskRuleKind.Tag, Weight = 101, Patterns = ["a"] }] }));
        Assert.Throws<IntentValidationException>(() => new RiskRules(new RiskRuleSet { Rules = [new RiskRule { Name = "x", Kind = RiskRuleKind.Tag, Weight = 5 }] }));
        Assert.Throws<IntentValidationException>(() => new RiskRules(new RiskRuleSet
        {
            Rules = [new RiskRule { Name = "x", Kind = RiskRuleKind.Tag, Weight = 5, Patterns = ["a"] }, new RiskRule { Name = "x", Kind = RiskRuleKind.Tag, Weight = 5, Patterns = ["b"] }],
        }));
    }

    [Fact]
    public void A_proposed_intent_carries_its_risk_with_factors()
    {
        var scenario = new IntentScenario();
        var view = scenario.Propose(IntentScenario.Request(operation: "delete", tags: ["billing"])).Intent;

        Assert.Equal(40 + 25 + 10, view.Risk.Score);
        Assert.Equal(RiskLevel.Critical, view.Risk.Level);
        Assert.Equal(["destructive_operation", "sensitive_tag", "external_http"], view.Risk.Factors.Select(f => f.Name));
    }
}
