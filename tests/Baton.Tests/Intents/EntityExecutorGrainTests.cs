using Baton.Contracts.Entities;
using Baton.Contracts.Intents;
using Baton.Tests.Events;

namespace Baton.Tests.Intents;

/// <summary>The <c>entity</c> executor through the intent grain.</summary>
[Collection(IntentClusterCollection.Name)]
public sealed class EntityExecutorGrainTests(IntentCluster cluster)
{
    [Fact]
    public async Task An_entity_patch_intent_writes_the_entity_with_the_intent_key_as_request_id()
    {
        var kind = $"ticket{Guid.NewGuid():N}"[..20];
        await cluster.Grains.GetGrain<IEntityKindGrain>(kind).Define(new KindDefinition { Schema = "{}" });
        var request = new ProposeRequest
        {
            InterfaceKey = "entity",
            Operation = "patch",
            ResourceRef = $"entity:{kind}/t-1",
            Payload = """{"patch":{"status":"open"}}""",
            RequestedBy = IntentRequests.Requester,
            ApprovalTimeout = TimeSpan.FromMinutes(10),
        };
        var id = IntentRequests.KeyOf(request);

        var proposed = await cluster.ProposeAsync(request);
        var done = await Poll.Until(cluster.Intent(id).Get, v => v.Phase.IsTerminal());
        var entity = cluster.Grains.GetGrain<IEntityGrain>($"{kind}/t-1");
        var snapshot = await entity.Get();
        var again = await entity.Mutate(new MutateRequest { Patch = """{"status":"open"}""", Actor = IntentRequests.Requester, RequestId = id });

        Assert.Equal(IntentPhase.Approved, proposed.Intent.Phase);
        Assert.Equal(IntentPhase.Succeeded, done.Phase);
        Assert.Equal(EntityStatus.Live, snapshot.Status);
        Assert.Contains("\"open\"", snapshot.State);
        Assert.Equal(1, snapshot.Version);
        Assert.Equal(1, again.Version);
    }

    [Fact]
    public async Task An_entity_write_to_an_undefined_kind_fails_without_retrying()
    {
        var request = new ProposeRequest
        {
            InterfaceKey = "entity",
            Operation = "patch",
            ResourceRef = $"entity:nokind{Guid.NewGuid():N}"[..30] + "/x",
            Payload = """{"patch":{"a":1}}""",
            RequestedBy = IntentRequests.Requester,
            ApprovalTimeout = TimeSpan.FromMinutes(10),
        };

        await cluster.ProposeAsync(request);
        var done = await Poll.Until(cluster.Intent(IntentRequests.KeyOf(request)).Get, v => v.Phase.IsTerminal());

        Assert.Equal(IntentPhase.Failed, done.Phase);
        Assert.Equal("permanent_failure", done.Outcome!.Reason);
        Assert.Single(done.Attempts);
    }

    [Fact]
    public async Task Proposing_for_an_interface_without_an_executor_is_refused()
    {
        var request = IntentRequests.MediumRisk() with { InterfaceKey = "carrier-pigeon" };

        var refusal = await Assert.ThrowsAsync<IntentValidationException>(() => cluster.ProposeAsync(request));

        Assert.Contains("carrier-pigeon", refusal.Message);
    }
}
