using Baton.Contracts.Intents;

namespace Baton.Tests.Intents;

/// <summary>Each seat votes once per revision; the requester never votes; a quorum approves; one rejection rejects; revisions void approvals.</summary>
public sealed class QuorumTests
{
    private static readonly string[] Three = ["alice", "bob", "carol"];

    [Fact]
    public void The_requester_cannot_approve_their_own_intent()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(1, requestedBy: "alice");

        var error = Assert.Throws<ReviewRefusedException>(() => scenario.Approve("alice"));

        Assert.Equal(ReviewRefusal.SelfApproval, error.Refusal);
        Assert.Empty(scenario.State.Reviews);
        Assert.Equal(IntentPhase.PendingApproval, scenario.State.Phase);
    }

    [Fact]
    public void The_requester_is_never_a_reviewer_even_when_in_the_reviewer_group()
    {
        var scenario = new IntentScenario();
        var view = scenario.ProposeNeeding(1, reviewers: Three, requestedBy: "alice").Intent;

        Assert.Equal(["bob", "carol"], view.Requirement.Reviewers);
        Assert.Equal(ReviewRefusal.SelfApproval, Assert.Throws<ReviewRefusedException>(() => scenario.Approve("alice")).Refusal);
    }

    [Fact]
    public void Two_approvals_among_three_reviewers_make_the_intent_approved()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(2, reviewers: Three);

        var first = scenario.Approve("alice");
        Assert.Equal((IntentPhase.PendingApproval, 1, 2), (first.Phase, first.ApprovalsCounted, first.ApprovalsNeeded));

        var second = scenario.Approve("carol");
        Assert.Equal((IntentPhase.Approved, 2), (second.Phase, second.ApprovalsCounted));
        Assert.Equal("quorum", scenario.State.PhaseHistory[^1].Reason);
        Assert.Equal("carol", scenario.State.PhaseHistory[^1].Actor);
        Assert.Equal(2, scenario.EventTypes().Count(t => t == IntentEventTypes.ApprovalResponded));
    }

    [Fact]
    public void One_rejection_rejects_even_after_approvals()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(2, reviewers: Three);
        scenario.Approve("alice");

        var result = scenario.Review("bob", ReviewDecision.Reject, "wrong repo");

        Assert.Equal(IntentPhase.Rejected, result.Phase);
        Assert.Equal(("rejected", "wrong repo", "bob"), (scenario.State.Outcome!.Reason, scenario.State.Outcome.Detail, scenario.State.Outcome.Actor));
        Assert.Equal([IntentEventTypes.ApprovalResponded, IntentEventTypes.PhaseChanged, IntentEventTypes.Completed], scenario.EventTypes().TakeLast(3));
    }

    [Fact]
    public void A_reviewer_votes_once()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(2, reviewers: Three);
        scenario.Approve("alice");

        var again = Assert.Throws<ReviewRefusedException>(() => scenario.Approve("alice"));
        var reject = Assert.Throws<ReviewRefusedException>(() => scenario.Review("alice", ReviewDecision.Reject));

        Assert.Equal([ReviewRefusal.AlreadyVoted, ReviewRefusal.AlreadyVoted], new[] { again.Refusal, reject.Refusal });
        Assert.Single(scenario.State.Reviews);
        Assert.Equal(IntentPhase.PendingApproval, scenario.State.Phase);
    }

    [Fact]
    public void Somebody_outside_the_reviewer_groups_cannot_vote()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(1, reviewers: Three);

        var error = Assert.Throws<ReviewRefusedException>(() => scenario.Approve("mallory"));

        Assert.Equal(ReviewRefusal.NotReviewer, error.Refusal);
    }

    [Fact]
    public void Request_changes_then_revision_voids_earlier_approvals_and_lets_reviewers_vote_again()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(2, reviewers: Three);
        scenario.Approve("alice");
        scenario.Review("bob", ReviewDecision.RequestChanges, "use the staging bucket");
        var before = scenario.State.Intent!.PayloadHash;

        var revised = scenario.Revise("""{"title":"hello","bucket":"staging"}""");

        Assert.NotEqual(before, revised.Intent.PayloadHash);
        Assert.Equal(0, revised.ApprovalsCounted);
        Assert.Equal(2, revised.Approvals.Count);
        var alice = scenario.Approve("alice");
        Assert.Equal((1, IntentPhase.PendingApproval), (alice.ApprovalsCounted, alice.Phase));
        Assert.Equal(revised.Intent.PayloadHash, alice.Record.PayloadHash);
        Assert.Equal(IntentPhase.Approved, scenario.Approve("bob").Phase);
    }

    [Fact]
    public void An_approval_of_a_payload_hash_that_is_no_longer_current_is_refused()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(1, reviewers: Three);
        var old = scenario.State.Intent!.PayloadHash;
        scenario.Review("bob", ReviewDecision.RequestChanges);
        scenario.Revise("""{"title":"v2"}""");

        var error = Assert.Throws<ReviewRefusedException>(() => scenario.Review("alice", ReviewDecision.Approve, payloadHash: old));

        Assert.Equal(ReviewRefusal.StalePayload, error.Refusal);
        Assert.Equal(IntentPhase.Approved, scenario.Review("alice", ReviewDecision.Approve, payloadHash: scenario.State.Intent!.PayloadHash).Phase);
    }

    [Fact]
    public void Rejecting_or_requesting_changes_needs_a_reason()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(1, reviewers: Three);

        var error = Assert.Throws<IntentValidationException>(() => scenario.Review("bob", ReviewDecision.Reject, reason: " "));

        Assert.Equal("Reason", error.Field);
        Assert.Empty(scenario.State.Reviews);
    }

    [Fact]
    public void Without_reviewer_groups_anybody_but_the_requester_may_approve()
    {
        var scenario = new IntentScenario();
        scenario.ProposeNeeding(2);

        scenario.Approve("someone");
        Assert.Equal(IntentPhase.Approved, scenario.Approve("someone-else").Phase);
    }
}
