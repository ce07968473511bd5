using Baton.Contracts.Intents;
using static Baton.Tests.Intents.IntentRequests;

namespace Baton.Tests.Intents;

/// <summary>Approval deadlines on the intents' fake clock.</summary>
[Collection(FakeClockIntentClusterCollection.Name)]
public sealed class IntentExpiryGrainTests(FakeClockIntentCluster cluster)
{
    [Fact]
    public async Task A_pending_intent_expires_at_its_deadline_and_then_refuses_reviews()
    {
        var request = MediumRisk();
        var intent = cluster.Cluster.Client.GetGrain<IWriteIntentGrain>(KeyOf(request));
        var proposed = await intent.Propose(request);

        FakeClockIntentCluster.Clock.Advance(request.ApprovalTimeout - TimeSpan.FromSeconds(1));
        var before = await intent.Get();
        FakeClockIntentCluster.Clock.Advance(TimeSpan.FromSeconds(2));
        var after = await intent.Get();
        var refused = await Assert.ThrowsAsync<IllegalTransitionException>(() => intent.Review("rita", Approve()));

        Assert.Equal(IntentPhase.PendingApproval, proposed.Intent.Phase);
        Assert.Equal(IntentPhase.PendingApproval, before.Phase);
        Assert.Equal(IntentPhase.Expired, after.Phase);
        Assert.Equal("expired", after.Outcome!.Reason);
        Assert.Equal(IntentPhase.Expired, refused.Current);
    }
}
