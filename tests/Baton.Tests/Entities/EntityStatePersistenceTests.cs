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

    private static async Task<(EntityState State, KindContext Kind)> Busy()
    {
        var kind = await Kind(secretFields: ["token"], derivers: [new FieldRule { Field = "status", Op = FieldRuleOp.ChangedTo, Value = "\"failed\"" }]);
        var state = new EntityState();
        Write(Key, state, Patch("""{"status":"running","token":"t"}""", requestId: "r1"), kind, Start);
        Write(Key, state, Patch("""{"status":"failed"}""", requestId: "r2"), kind, Start.AddMinutes(1));
        Write(Key, state, Patch("""{"status":"failed"}""", requestId: "r3-no-op"), kind, Start.AddMinutes(2));
        return (state, kind);
    }

    private static void AssertSame(EntityState expected, EntityState actual)
    {
        Assert.Equal((expected.Version, expected.State, expected.Tombstoned, expected.ChangedAt), (actual.Version, actual.State, actual.Tombstoned, actual.ChangedAt));
        Assert.Equal(expected.History, actual.History);
        Assert.Equal(expected.Requests.Select(r => (r.RequestId, r.Fingerprint, r.At, r.Result.Version, r.Result.State, string.Join(",", r.Result.ChangedFields))),
            actual.Requests.Select(r => (r.RequestId, r.Fingerprint, r.At, r.Result.Version, r.Result.State, string.Join(",", r.Result.ChangedFields))));
        Assert.Equal(expected.Outbox.Pending.Select(p => p.Envelope), actual.Outbox.Pending.Select(p => p.Envelope));
    }

    [Fact]
    public async Task Entity_state_round_trips_through_the_Orleans_serializer_and_the_JSON_grain_storage_serializer()
    {
        var (state, _) = await Busy();
        var storage = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));

        AssertSame(state, Orleans.Deserialize<EntityState>(Orleans.SerializeToArray(state))!);
        AssertSame(state, storage.Deserialize<EntityState>(storage.Serialize(state))!);
    }

    [Fact]
    public async Task A_retry_against_restored_state_still_gets_the_first_answer()
    {
        var (state, kind) = await Busy();
        var storage = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));
        var restored = storage.Deserialize<EntityState>(storage.Serialize(state))!;

        var retry = EntityChange.Mutate(Key, restored, Patch("""{"status":"running","token":"t"}""", requestId: "r1"), kind, Start.AddMinutes(2));

        Assert.Equal(EntityChangeOutcome.Repeated, retry.Outcome);
        Assert.Equal(1, retry.Mutation!.Version);
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
