using Baton.Contracts.Intents;
using Baton.Grains.Intents;
using Baton.Tests.Events;
using static Baton.Tests.Intents.IntentRequests;

namespace Baton.Tests.Intents;

/// <summary>Reviews through the grains: self-approval, the quorum, delegation, batches and the "needs my approval" index.</summary>
[Collection(IntentClusterCollection.Name)]
public sealed class IntentReviewGrainTests(IntentCluster cluster)
{
    [Fact]
    public async Task Requester_cannot_approve_their_own_intent()
    {
        var proposed = await cluster.ProposeAsync(MediumRisk());
        var intent = cluster.Intent(proposed.Intent.Intent.Id);

        var refusal = await Assert.ThrowsAsync<ReviewRefusedException>(() => intent.Review(Requester, Approve()));

        Assert.Equal(ReviewRefusal.SelfApproval, refusal.Refusal);
        var view = await intent.Get();
        Assert.Equal(IntentPhase.PendingApproval, view.Phase);
        Assert.Empty(view.Approvals);
    }

    [Fact]
    public async Task Proposing_the_same_write_twice_returns_the_same_intent()
    {
        var request = MediumRisk();
        var first = await cluster.ProposeAsync(request);
        var second = await cluster.ProposeAsync(request);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Intent.Intent.Id, second.Intent.Intent.Id);
        Assert.Equal(first.Intent.Intent.ProposedAt, second.Intent.Intent.ProposedAt);
    }

    [Fact]
    public async Task Two_approvals_among_three_ops_reviewers_approve_a_high_risk_intent_which_then_executes_once()
    {
        var proposed = await cluster.ProposeAsync(HighRisk());
        var id = proposed.Intent.Intent.Id;
        var intent = cluster.Intent(id);

        var first = await intent.Review("olga", Approve());
        var second = await intent.Review("oscar", Approve());
        var late = await Assert.ThrowsAsync<IllegalTransitionException>(() => intent.Review("otto", Approve()));
        var done = await Poll.Until(intent.Get, v => v.Phase.IsTerminal());

        Assert.Equal(RiskLevel.High, proposed.Intent.Risk.Level);
        Assert.Equal(IntentPhase.PendingApproval, proposed.Intent.Phase);
        Assert.Equal((IntentPhase.PendingApproval, 1, 2), (first.Phase, first.ApprovalsCounted, first.ApprovalsNeeded));
        Assert.Equal((IntentPhase.Approved, 2), (second.Phase, second.ApprovalsCounted));
        Assert.NotEqual(IntentPhase.PendingApproval, late.Current);
        Assert.Equal(IntentPhase.Succeeded, done.Phase);
        Assert.Single(done.Attempts);
        Assert.Equal(1, RecordingExecutor.Instance.Calls[id]);
    }

    [Fact]
    public async Task Somebody_outside_the_reviewer_group_is_refused()
    {
        var proposed = await cluster.ProposeAsync(HighRisk());
        var intent = cluster.Intent(proposed.Intent.Intent.Id);

        var refusal = await Assert.ThrowsAsync<ReviewRefusedException>(() => intent.Review("mallory", Approve()));

        Assert.Equal(ReviewRefusal.NotReviewer, refusal.Refusal);
        Assert.Equal(0, (await intent.Get()).ApprovalsCounted);
    }

    [Fact]
    public async Task A_reviewer_votes_once()
    {
        var proposed = await cluster.ProposeAsync(HighRisk());
        var intent = cluster.Intent(proposed.Intent.Intent.Id);
        await intent.Review("olga", Approve());

        var refusal = await Assert.ThrowsAsync<ReviewRefusedException>(() => intent.Review("olga", Approve()));

        Assert.Equal(ReviewRefusal.AlreadyVoted, refusal.Refusal);
        Assert.Equal(1, (await intent.Get()).ApprovalsCounted);
    }

    [Fact]
    public async Task A_delegate_votes_for_the_owners_seat_under_a_delegation_policy()
    {
        var proposed = await cluster.ProposeAsync(HighRisk());
        var intent = cluster.Intent(proposed.Intent.Intent.Id);

        var byDelegate = await intent.Review("dave", Approve());
        var ownSeatGone = await Assert.ThrowsAsync<ReviewRefusedException>(() => intent.Review("olga", Approve()));
        var second = await intent.Review("otto", Approve());

        Assert.Equal(("olga", "dave"), (byDelegate.Record.Reviewer, byDelegate.Record.CastBy));
        Assert.Equal(["olga-away"], byDelegate.Record.Via);
        Assert.Equal(ReviewRefusal.AlreadyVoted, ownSeatGone.Refusal);
        Assert.Equal(IntentPhase.Approved, second.Phase);
    }

    [Fact]
    public async Task A_seat_handed_over_with_the_delegate_action_counts_for_the_original_reviewer()
    {
        var proposed = await cluster.ProposeAsync(HighRisk());
        var intent = cluster.Intent(proposed.Intent.Intent.Id);

        var handOver = await intent.Review("oscar", new ReviewAction { Decision = ReviewDecision.Delegate, DelegateTo = "erin", Reason = "on leave" });
        var byErin = await intent.Review("erin", Approve());
        var byOtto = await intent.Review("otto", Approve());

        Assert.Equal(IntentPhase.PendingApproval, handOver.Phase);
        Assert.Equal(0, handOver.ApprovalsCounted);
        Assert.Equal(("oscar", "erin"), (byErin.Record.Reviewer, byErin.Record.CastBy));
        Assert.Equal(IntentPhase.Approved, byOtto.Phase);
    }

    [Fact]
    public async Task A_batch_with_one_unknown_id_and_continue_on_error_reviews_the_rest()
    {
        var a = (await cluster.ProposeAsync(MediumRisk())).Intent.Intent.Id;
        var b = (await cluster.ProposeAsync(MediumRisk())).Intent.Intent.Id;
        var missing = new string('0', 64);
        var batch = new BatchReview { IntentIds = [a, missing, b], Decision = ReviewDecision.Reject, Reason = "not now", ContinueOnError = true };

        var result = await BatchReviews.RunAsync(batch, (id, action) => cluster.Intent(id).Review("rita", action));

        Assert.Equal([BatchItemStatus.Applied, BatchItemStatus.Failed, BatchItemStatus.Applied], result.Items.Select(i => i.Status));
        Assert.Equal("not_found", result.Items[1].Error);
        Assert.Equal((2, 1), (result.Applied, result.Failed));
        Assert.Equal(IntentPhase.Rejected, (await cluster.Intent(a).Get()).Phase);
        Assert.Equal(IntentPhase.Rejected, (await cluster.Intent(b).Get()).Phase);
    }

    [Fact]
    public async Task A_batch_without_continue_on_error_stops_at_the_first_failure()
    {
        var a = (await cluster.ProposeAsync(MediumRisk())).Intent.Intent.Id;
        var own = (await cluster.ProposeAsync(MediumRisk(requestedBy: "rita"))).Intent.Intent.Id;
        var c = (await cluster.ProposeAsync(MediumRisk())).Intent.Intent.Id;
        var batch = new BatchReview { IntentIds = [a, own, c], Decision = ReviewDecision.Approve, ContinueOnError = false };

        var result = await BatchReviews.RunAsync(batch, (id, action) => cluster.Intent(id).Review("rita", action));

        Assert.Equal([BatchItemStatus.Applied, BatchItemStatus.Failed, BatchItemStatus.Skipped], result.Items.Select(i => i.Status));
        Assert.Equal("review_refused", result.Items[1].Error);
        Assert.Equal(IntentPhase.PendingApproval, (await cluster.Intent(c).Get()).Phase);
    }

    [Fact]
    public async Task The_reviewer_index_lists_pending_seats_and_delegated_ones_and_drops_them_once_decided()
    {
        var proposed = await cluster.ProposeAsync(HighRisk());
        var id = proposed.Intent.Intent.Id;

        var olga = await Poll.Until(() => cluster.Reviewer("olga").Pending(1, 200), p => p.Items.Any(i => i.IntentId == id));
        var dave = await Poll.Until(() => cluster.Reviewer("dave").Pending(1, 200), p => p.Items.Any(i => i.IntentId == id));
        await cluster.Intent(id).Review("olga", Approve());
        var olgaAfterVote = await Poll.Until(() => cluster.Reviewer("olga").Pending(1, 200), p => p.Items.All(i => i.IntentId != id));
        var ottoBefore = (await cluster.Reviewer("otto").Pending(1, 200)).Items.Any(i => i.IntentId == id);
        await cluster.Intent(id).Review("oscar", Approve());
        var ottoAfter = await Poll.Until(() => cluster.Reviewer("otto").Pending(1, 200), p => p.Items.All(i => i.IntentId != id));
        var requester = await cluster.Reviewer(Requester).Pending(1, 200);

        var entry = olga.Items.Single(i => i.IntentId == id);
        Assert.Equal((Requester, RiskLevel.High, (string?)null), (entry.RequestedBy, entry.RiskLevel, entry.OnBehalfOf));
        Assert.Equal("olga", dave.Items.Single(i => i.IntentId == id).OnBehalfOf);
        Assert.DoesNotContain(olgaAfterVote.Items, i => i.IntentId == id);
        Assert.True(ottoBefore);
        Assert.DoesNotContain(ottoAfter.Items, i => i.IntentId == id);
        Assert.DoesNotContain(requester.Items, i => i.IntentId == id);
    }

    [Fact]
    public async Task The_reviewer_index_pages_oldest_request_first()
    {
        var reviewer = $"pager-{Guid.NewGuid():N}";
        var index = cluster.Reviewer(reviewer);
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < 5; i++)
        {
            await index.Add(new PendingApproval { IntentId = $"i{i}", RequestedAt = start.AddSeconds(-i), RequestedBy = "x" });
        }

        await index.Remove("i2");
        var first = await index.Pending(1, 3);
        var second = await index.Pending(2, 3);

        Assert.Equal(["i4", "i3", "i1"], first.Items.Select(i => i.IntentId));
        Assert.Equal(["i0"], second.Items.Select(i => i.IntentId));
        Assert.Equal((4, 4), (first.Total, second.Total));
        await Assert.ThrowsAsync<IntentValidationException>(() => index.Pending(0, 3));
    }

    [Fact]
    public async Task An_open_intent_is_listed_for_anyone()
    {
        var proposed = await cluster.ProposeAsync(MediumRisk());
        var id = proposed.Intent.Intent.Id;

        var anyone = await Poll.Until(() => cluster.Reviewer(ReviewerIndex.Anyone).Pending(1, 200), p => p.Items.Any(i => i.IntentId == id));
        await cluster.Intent(id).Cancel(Requester, "changed my mind");
        var afterCancel = await Poll.Until(() => cluster.Reviewer(ReviewerIndex.Anyone).Pending(1, 200), p => p.Items.All(i => i.IntentId != id));

        Assert.Contains(anyone.Items, i => i.IntentId == id);
        Assert.DoesNotContain(afterCancel.Items, i => i.IntentId == id);
    }
}
