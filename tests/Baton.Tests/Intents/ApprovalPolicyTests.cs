using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Tests.Intents;

/// <summary>The approval policy maps risk level to approvals and reviewer groups; the default set auto-approves LOW entity writes and never a delete.</summary>
public sealed class ApprovalPolicyTests
{
    private static RiskAssessment Risk(RiskLevel level, int score = 0) => new() { Level = level, Score = score };

    [Fact]
    public void Default_set_lets_a_low_risk_entity_write_auto_approve()
    {
        var scenario = new IntentScenario();
        var result = scenario.Propose(IntentScenario.Request(interfaceKey: "entity", operation: "update", resourceRef: "ticket:42"));

        Assert.Equal(RiskLevel.Low, result.Intent.Risk.Level);
        Assert.True(result.Intent.Requirement.AutoApproved);
        Assert.Equal(IntentPhase.Approved, result.Intent.Phase);
        Assert.Equal([IntentEventTypes.Created, IntentEventTypes.PhaseChanged], scenario.EventTypes());
        Assert.Equal("auto_approved", result.Intent.PhaseHistory.Single().Reason);
    }

    [Fact]
    public void Default_set_makes_a_delete_need_at_least_one_approval()
    {
        var scenario = new IntentScenario();
        var result = scenario.Propose(IntentScenario.Request(interfaceKey: "entity", operation: "delete", resourceRef: "ticket:42"));

        Assert.False(result.Intent.Requirement.AutoApproved);
        Assert.True(result.Intent.Requirement.ApprovalsNeeded >= 1);
        Assert.Equal(IntentPhase.PendingApproval, result.Intent.Phase);
        Assert.Equal([IntentEventTypes.Created, IntentEventTypes.ApprovalRequested], scenario.EventTypes());
    }

    [Fact]
    public void Default_policy_holds_a_delete_to_one_approval_even_when_the_risk_rules_score_it_low()
    {
        var decision = ApprovalPolicy.Default.Decide("entity", "delete", "agent-7", Risk(RiskLevel.Low));

        Assert.False(decision.AutoApproved);
        Assert.Equal(1, decision.ApprovalsNeeded);
        Assert.Contains("'delete' needs at least 1", decision.Basis);
    }

    [Fact]
    public void Default_policy_does_not_auto_approve_low_risk_writes_through_other_interfaces()
    {
        var decision = ApprovalPolicy.Default.Decide("http", "create", "agent-7", Risk(RiskLevel.Low));

        Assert.False(decision.AutoApproved);
        Assert.Equal(1, decision.ApprovalsNeeded);
    }

    [Theory]
    [InlineData(RiskLevel.Medium, 1)]
    [InlineData(RiskLevel.High, 2)]
    [InlineData(RiskLevel.Critical, 3)]
    public void Default_policy_needs_more_approvals_as_risk_rises(RiskLevel level, int approvals)
    {
        var decision = ApprovalPolicy.Default.Decide("entity", "update", "agent-7", Risk(level));

        Assert.Equal(approvals, decision.ApprovalsNeeded);
        Assert.False(decision.AutoApproved);
    }

    [Fact]
    public void Reviewer_groups_resolve_to_their_members_without_the_requester()
    {
        var policy = new ApprovalPolicy(new ApprovalPolicyDefinition
        {
            Levels = [new LevelRequirement { Level = RiskLevel.High, Approvals = 2, ReviewerGroups = ["sre", "security"] }],
            Groups = new Dictionary<string, IReadOnlyList<string>> { ["sre"] = ["carol", "bob"], ["security"] = ["dave", "bob", "agent-7"] },
        });

        var decision = policy.Decide("http", "deploy", "agent-7", Risk(RiskLevel.High));

        Assert.Equal(2, decision.ApprovalsNeeded);
        Assert.Equal(["sre", "security"], decision.ReviewerGroups);
        Assert.Equal(["bob", "carol", "dave"], decision.Reviewers);
    }

    [Fact]
    public void A_level_missing_from_the_policy_needs_one_approval_from_anybody()
    {
        var policy = new ApprovalPolicy(new ApprovalPolicyDefinition());

        var decision = policy.Decide("http", "create", "agent-7", Risk(RiskLevel.Medium));

        Assert.Equal((1, false), (decision.ApprovalsNeeded, decision.AutoApproved));
        Assert.Empty(decision.Reviewers);
    }

    [Fact]
    public void Only_the_low_level_may_auto_approve_and_approvals_stay_in_range()
    {
        Assert.Throws<IntentValidationException>(() => new ApprovalPolicy(new ApprovalPolicyDefinition { Levels = [new LevelRequirement { Level = RiskLevel.Medium, AutoApprove = true }] }));
        Assert.Throws<IntentValidationException>(() => new ApprovalPolicy(new ApprovalPolicyDefinition { Levels = [new LevelRequirement { Level = RiskLevel.Low, Approvals = 0 }] }));
        Assert.Throws<IntentValidationException>(() => new ApprovalPolicy(new ApprovalPolicyDefinition { Levels = [new LevelRequirement { Level = RiskLevel.Low }, new LevelRequirement { Level = RiskLevel.Low }] }));
    }
}
