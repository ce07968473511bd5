using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Tests.Intents;

/// <summary>A delegate casts the owner's vote when a policy matches (operation, resource, risk, tags, not expired); cascades are bounded.</summary>
public sealed class DelegationTests
{
    private static readonly string[] Reviewers = ["alice", "bob", "carol"];

    private static IntentScenario With(params DelegationPolicy[] policies)
    {
        var scenario = new IntentScenario();
        scenario.Rules = scenario.Rules with { Delegations = policies };
        return scenario;
    }

    private static DelegationPolicy Policy(string owner = "alice", string @delegate = "dan", bool cascade = false, string id = "p1") =>
        new() { Id = id, Owner = owner, Delegate = @delegate, Cascade = cascade };

    [Fact]
    public void A_delegate_votes_for_the_owner_and_the_seat_counts_once()
    {
        var scenario = With(Policy());
        scenario.ProposeNeeding(2, Reviewers);

        var result = scenario.Approve("dan");

        Assert.Equal(("alice", "dan"), (result.Record.Reviewer, result.Record.CastBy));
        Assert.Equal(["p1"], result.Record.Via);
        Assert.Equal(1, result.ApprovalsCounted);
        Assert.Equal(ReviewRefusal.AlreadyVoted, Assert.Throws<ReviewRefusedException>(() => scenario.Approve("alice")).Refusal);
        Assert.Equal(IntentPhase.Approved, scenario.Approve("bob").Phase);
    }

    [Fact]
    public void Without_a_matching_policy_the_delegate_is_not_a_reviewer()
    {
        var scenario = With(Policy() with { Operations = ["deploy"] });
        scenario.ProposeNeeding(1, Reviewers, operation: "create");

        Assert.Equal(ReviewRefusal.NotReviewer, Assert.Throws<ReviewRefusedException>(() => scenario.Approve("dan")).Refusal);
    }

    [Fact]
    public void Conditions_on_operation_resource_risk_and_tags_must_all_hold()
    {
        var intent = new Intent { Operation = "delete-branch", ResourceRef = "repo:acme/web", Tags = ["release", "urgent"] };
        var risk = new RiskAssessment { Score = 40 };
        var now = IntentScenario.Start;
        var policy = Policy() with { Operations = ["delete*"], ResourcePattern = "repo:acme/*", RiskAbove = 30, Tags = ["release"] };

        Assert.True(Delegation.Matches(policy, intent, risk, now));
        Assert.False(Delegation.Matches(policy with { Operations = ["create"] }, intent, risk, now));
        Assert.False(Delegation.Matches(policy with { ResourcePattern = "repo:other/*" }, intent, risk, now));
        Assert.False(Delegation.Matches(policy with { RiskAbove = 40 }, intent, risk, now));
        Assert.False(Delegation.Matches(policy with { Tags = ["release", "hotfix"] }, intent, risk, now));
    }

    [Fact]
    public void An_expired_policy_no_longer_applies()
    {
        var scenario = With(Policy() with { ExpiresAt = IntentScenario.Start.AddMinutes(10) });
        scenario.ProposeNeeding(1, Reviewers);
        scenario.Wait(TimeSpan.FromMinutes(10));

        Assert.Equal(ReviewRefusal.NotReviewer, Assert.Throws<ReviewRefusedException>(() => scenario.Approve("dan")).Refusal);
    }

    [Fact]
    public void A_cascade_passes_the_seat_on_only_where_allowed_and_within_the_depth_limit()
    {
        var chained = With(Policy(cascade: true), Policy("dan", "erin", id: "p2"));
        chained.ProposeNeeding(1, Reviewers);
        var vote = chained.Approve("erin");
        Assert.Equal("alice", vote.Record.Reviewer);
        Assert.Equal(["p1", "p2"], vote.Record.Via);

        var stopped = With(Policy(cascade: false), Policy("dan", "erin", id: "p2"));
        stopped.ProposeNeeding(1, Reviewers);
        Assert.Equal(ReviewRefusal.NotReviewer, Assert.Throws<ReviewRefusedException>(() => stopped.Approve("erin")).Refusal);

        var deep = With(Policy(cascade: true), Policy("dan", "erin", cascade: true, id: "p2"), Policy("erin", "fay", id: "p3"));
        deep.Rules = deep.Rules with { MaxDelegationDepth = 2 };
        deep.ProposeNeeding(1, Reviewers);
        Assert.Equal(ReviewRefusal.NotReviewer, Assert.Throws<ReviewRefusedException>(() => deep.Approve("fay")).Refusal);
        deep.Rules = deep.Rules with { MaxDelegationDepth = 3 };
        Assert.Equal(IntentPhase.Approved, deep.Approve("fay").Phase);
    }

    [Fact]
    public void The_delegate_action_hands_a_seat_on_for_this_intent_and_the_giver_cannot_vote_it_any_more()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(2, Reviewers);

        var handed = scenario.Review("alice", ReviewDecision.Delegate, reason: "on leave", delegateTo: "dan");
        Assert.Equal((ReviewDecision.Delegate, 0, IntentPhase.PendingApproval), (handed.Record.Decision, handed.ApprovalsCounted, handed.Phase));
        Assert.Equal(ReviewRefusal.AlreadyVoted, Assert.Throws<ReviewRefusedException>(() => scenario.Approve("alice")).Refusal);

        var vote = scenario.Approve("dan");
        Assert.Equal(("alice", "dan", 1), (vote.Record.Reviewer, vote.Record.CastBy, vote.ApprovalsCounted));
    }

    [Fact]
    public void A_seat_is_never_handed_to_the_requester_nor_to_oneself()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(1, Reviewers, requestedBy: "agent-7");

        Assert.Equal(ReviewRefusal.SelfApproval, Assert.Throws<ReviewRefusedException>(() => scenario.Review("alice", ReviewDecision.Delegate, delegateTo: "agent-7")).Refusal);
        Assert.Equal(ReviewRefusal.DelegationRefused, Assert.Throws<ReviewRefusedException>(() => scenario.Review("alice", ReviewDecision.Delegate, delegateTo: "alice")).Refusal);
        Assert.Empty(scenario.State.Reviews);
    }

    [Fact]
    public void A_policy_naming_the_requester_as_delegate_never_lets_them_vote()
    {
        var scenario = With(Policy("alice", "agent-7"));
        scenario.ProposeNeeding(1, Reviewers, requestedBy: "agent-7");

        Assert.Equal(ReviewRefusal.SelfApproval, Assert.Throws<ReviewRefusedException>(() => scenario.Approve("agent-7")).Refusal);
    }

    [Fact]
    public void Invalid_policies_are_refused_naming_the_field()
    {
        Assert.Equal("Delegate", Assert.Throws<IntentValidationException>(() => Delegation.Validate(Policy("alice", "alice"))).Field);
        Assert.Equal("RiskAbove", Assert.Throws<IntentValidationException>(() => Delegation.Validate(Policy() with { RiskAbove = 101 })).Field);
        Assert.Equal("Id", Assert.Throws<IntentValidationException>(() => Delegation.Validate(Policy(id: ""))).Field);
    }
}
