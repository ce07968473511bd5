using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;
using static Baton.Tests.Entities.EntityScenario;

namespace Baton.Tests.Entities;

/// <summary>The entity grain will persist <see cref="EntityState"/> as it is: it must round-trip, and a pipeline over the copy must carry on.</summary>
public sealed class EntityStatePersistenceTests
{
    private const string Key = "deployment/web";

    private static readonly Serializer Orleans = new ServiceCollection()
        .AddSerializer(builder => builder.AddAssembly(typeof(EntityState).Assembly).AddAssembly(typeof(MutateRequest).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    private static async Task<(ScenarioEntity Entity, KindContext Kind)> Busy()
    {
        var kind = await Kind(secretFields: ["token"], derivers: [new FieldRule { Field = "status", Op = FieldRuleOp.ChangedTo, Value = "\"failed\"" }]);
        var entity = new ScenarioEntity();
        Write(Key, entity, Patch("""{"status":"running","token":"t"}""", requestId: "r1"), kind, Start);
        Write(Key, entity, Patch("""{"status":"failed"}""", requestId: "r2"), kind, Start.AddMinutes(1));
        Write(Key, entity, Patch("""{"status":"failed"}""", requestId: "r3-no-op"), kind, Start.AddMinutes(2));
        return (entity, kind);
    }

    private static void AssertSame(EntityState expected, EntityState actual)
    {
        Assert.Equal((expected.Version, expected.State, expected.Tombstoned, expected.ChangedAt, expected.ChangeId), (actual.Version, actual.State, actual.Tombstoned, actual.ChangedAt, actual.ChangeId));
        Assert.Equal(expected.Latest, actual.Latest);
        Assert.Equal(expected.Outbox.Pending.Select(p => p.Envelope), actual.Outbox.Pending.Select(p => p.Envelope));
    }

    [Fact]
    public async Task Entity_state_round_trips_through_the_Orleans_serializer_and_the_JSON_grain_storage_serializer()
    {
        var (entity, _) = await Busy();
        var storage = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));

        AssertSame(entity.Blob, Orleans.Deserialize<EntityState>(Orleans.SerializeToArray(entity.Blob))!);
        AssertSame(entity.Blob, storage.Deserialize<EntityState>(storage.Serialize(entity.Blob))!);
    }

    [Fact]
    public async Task The_state_blob_carries_neither_history_nor_answers_however_many_writes_there_were()
    {
        var kind = await Kind();
        var entity = new ScenarioEntity();
        for (var i = 0; i < 500; i++)
        {
            Write(Key, entity, Patch($$"""{"n":{{i}},"status":"{{(i % 2 == 0 ? "busy" : "idle")}}"}"""), kind, Start.AddSeconds(i));
            entity.Outbox.Pending.Clear();
        }

        var storage = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));

        Assert.Equal(1000, entity.History.Count);
        Assert.Equal(["n", "status"], entity.Blob.Latest.Select(t => t.Field));
        Assert.Empty(entity.Blob.History);
        Assert.Empty(entity.Blob.Requests);
        Assert.True(storage.Serialize(entity.Blob).ToArray().Length < 2_000);
    }

    [Fact]
    public async Task A_retry_against_restored_state_and_stored_answers_still_gets_the_first_answer()
    {
        var kind = await Kind(secretFields: ["token"]);
        var store = new InMemoryEntityHistoryStore();
        var state = new EntityState();
        var first = await WriteThroughStoreAsync(store, state, Patch("""{"status":"running","token":"t"}""", requestId: "r1"), kind, Start);
        await WriteThroughStoreAsync(store, state, Patch("""{"status":"failed"}""", requestId: "r2"), kind, Start.AddMinutes(1));
        var storage = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));
        var restored = storage.Deserialize<EntityState>(storage.Serialize(state))!;
        var memory = new RequestMemory(await store.RequestsAsync(Key, EntityVisibility.Of(restored), Start.AddDays(-1), 128));

        var retry = EntityChange.Mutate(Key, restored, Patch("""{"status":"running","token":"t"}""", requestId: "r1"), kind, Start.AddMinutes(2), requests: memory);

        Assert.Equal(EntityChangeOutcome.Repeated, retry.Outcome);
        Assert.Equal((1L, first.State, first.ChangeId), (retry.Mutation!.Version, retry.Mutation.State, retry.Mutation.ChangeId));
        Assert.Contains("\"token\":\"t\"", retry.Mutation.State, StringComparison.Ordinal);
    }

    /// <summary>As the grain writes: append the record, then commit the state.</summary>
    private static async Task<MutateResult> WriteThroughStoreAsync(IEntityHistoryStore store, EntityState state, MutateRequest request, KindContext kind, DateTimeOffset now)
    {
        var decision = EntityChange.Mutate(Key, state, request, kind, now);
        await store.AppendAsync(decision.Record!);
        EntityChange.Commit(Key, state, decision);
        return decision.Mutation!;
    }

    [Fact]
    public void Typed_errors_keep_their_fields_through_the_Orleans_serializer()
    {
        var schema = Orleans.Deserialize<EntitySchemaException>(Orleans.SerializeToArray(
            new EntitySchemaException("deployment", 3, [new EntitySchemaError("#/status", "expected a string", "StringExpected")])))!;
        var conflict = Orleans.Deserialize<EntityVersionConflictException>(Orleans.SerializeToArray(new EntityVersionConflictException(Key, 1, 4)))!;
        var validation = Orleans.Deserialize<EntityValidationException>(Orleans.SerializeToArray(new EntityValidationException("Key", "bad")))!;

        Assert.Equal(("deployment", 3L, "#/status"), (schema.Kind, schema.SchemaVersion, Assert.Single(schema.Errors).Path));
        Assert.Equal((1L, 4L), (conflict.ExpectedVersion, conflict.CurrentVersion));
        Assert.Equal(("Key", "bad"), (validation.Field, validation.Rule));
    }
}
