using Baton.Contracts.Intents;
using Baton.Tests.Events;
using static Baton.Tests.Intents.IntentRequests;

namespace Baton.Tests.Intents;

/// <summary>The intent index on the intents' fake clock: an intent that expires is listed as expired.</summary>
[Collection(FakeClockIntentClusterCollection.Name)]
public sealed class IntentIndexExpiryTests(FakeClockIntentCluster cluster)
{
    [Fact]
    public async Task An_intent_that_expires_moves_from_pending_approval_to_expired_in_the_index()
    {
        var requester = $"lister-{Guid.NewGuid():N}";
        var request = MediumRisk(requester);
        var id = KeyOf(request);
        var query = cluster.Cluster.Client.GetGrain<IIntentQueryGrain>(0);
        await cluster.Cluster.Client.GetGrain<IWriteIntentGrain>(id).Propose(request);
        var pending = await Poll.Until(() => query.List(new IntentQuery { Phase = IntentPhase.PendingApproval, RequestedBy = requester }), p => p.Total == 1);

        FakeClockIntentCluster.Clock.Advance(request.ApprovalTimeout + TimeSpan.FromSeconds(1));
        Assert.Equal(IntentPhase.Expired, (await cluster.Cluster.Client.GetGrain<IWriteIntentGrain>(id).Get()).Phase);
        var expired = await Poll.Until(() => query.List(new IntentQuery { Phase = IntentPhase.Expired, RequestedBy = requester }), p => p.Total == 1);

        Assert.Equal([id], pending.Items.Select(i => i.IntentId));
        Assert.Equal([id], expired.Items.Select(i => i.IntentId));
        Assert.Equal(0, (await query.List(new IntentQuery { Phase = IntentPhase.PendingApproval, RequestedBy = requester })).Total);
    }
}
