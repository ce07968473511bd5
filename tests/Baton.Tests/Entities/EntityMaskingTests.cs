using System.Text.Json;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using static Baton.Tests.Entities.EntityGrainTests;

namespace Baton.Tests.Entities;

/// <summary>Secret fields and run secrets never reach stored history or stream events; the writer's own reads see real values.</summary>
[Collection(EntityClusterCollection.Name)]
public sealed class EntityMaskingTests(EntityCluster cluster)
{
    [Fact]
    public async Task Secrets_are_masked_in_stored_transitions_and_in_stream_events_but_not_in_reads()
    {
        var kind = NewKind();
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var runSecret = "run-secret-" + Guid.NewGuid().ToString("N");
        var runId = "run-" + Guid.NewGuid().ToString("N");
        EntityCluster.RunSecrets.Register(runId, runSecret);
        await cluster.DefineAsync(kind, secretFields: ["token", "credentials.password"],
            derivers: [new FieldRule { Field = "token", Op = FieldRuleOp.ChangedTo, Value = JsonSerializer.Serialize(token), Event = "token.set" }]);
        var key = $"{kind}/svc";
        var entity = cluster.Grains.GetGrain<IEntityGrain>(key);

        var written = await entity.Mutate(Patch(
            $$"""{"name":"svc","token":"{{token}}","credentials":{"user":"bot","password":"{{password}}"},"note":"deploy with {{runSecret}} now"}""",
            runId: runId));
        await entity.Mutate(Patch($$"""{"token":"{{token}}-rotated","note":"{{runSecret}}"}""", runId: runId));

        // The writer reads real values.
        var state = (await entity.Get()).State!;
        Assert.Contains(password, written.State);
        Assert.Contains(token + "-rotated", state);
        Assert.Contains(runSecret, state);

        // What the grain stored as history: read the raw persisted state from the silo's storage.
        var storage = cluster.SiloService<IServiceProvider>().GetRequiredKeyedService<IGrainStorage>("baton");
        var stored = new GrainState<EntityState>(new EntityState());
        await storage.ReadStateAsync("entity", GrainId.Create("entity", key), stored);
        var history = JsonSerializer.Serialize(await cluster.SiloService<IEntityHistoryStore>().QueryAsync(key, EntityVisibility.Of(stored.State!), null, null, 100))
            + JsonSerializer.Serialize(stored.State!.Latest);
        Assert.Equal(2, stored.State.Version);
        Assert.Contains("***", history);
        AssertNoSecret(history, token, password, runSecret);
        AssertNoSecret(JsonSerializer.Serialize(await entity.History(null, null, 100)), token, password, runSecret);
        Assert.Equal("\"***\"", (await entity.InStateSince("token"))!.Value);

        // What consumers received on the stream: the change events and the derived trigger events.
        var events = await cluster.ChangedEventsAsync(key, 2);
        Assert.Contains(events, e => e.Type == $"{kind}.token.set");
        foreach (var recorded in events)
        {
            AssertNoSecret(recorded.Payload, token, password, runSecret);
        }

        Assert.Contains("\"user\":\"bot\"", events[0].Payload);
        Assert.Contains("\"password\":\"***\"", events[0].Payload);
    }

    private static void AssertNoSecret(string text, params string[] secrets)
    {
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, text);
        }
    }
}
