using System.Text.Json.Nodes;
using Baton.Contracts.Entities;

namespace Baton.Tests.Entities;

/// <summary>The entity and kind grains in a dev-mode silo: no-ops, refusals, optimistic concurrency, idempotent retries, removal.</summary>
[Collection(EntityClusterCollection.Name)]
public sealed class EntityGrainTests(EntityCluster cluster)
{
    private const string StatusSchema = """
        { "type": "object", "required": ["status"],
          "properties": { "status": { "type": "string", "enum": ["queued", "running", "failed"] }, "replicas": { "type": "integer" } } }
        """;

    [Fact]
    public async Task A_write_to_an_undefined_kind_is_refused_and_changes_nothing()
    {
        var entity = cluster.Grains.GetGrain<IEntityGrain>($"undefined-{Guid.NewGuid():N}/x");

        var error = await Assert.ThrowsAsync<EntityKindNotDefinedException>(() => entity.Mutate(Patch("""{"a":1}""")));

        Assert.StartsWith("undefined-", error.Kind);
        Assert.Equal(EntityStatus.NotFound, (await entity.Get()).Status);
    }

    [Fact]
    public async Task Kind_definitions_are_versioned_and_an_identical_redefinition_keeps_the_version()
    {
        var kind = NewKind();
        var first = await cluster.DefineAsync(kind, StatusSchema);
        var same = await cluster.DefineAsync(kind, StatusSchema);
        var second = await cluster.DefineAsync(kind, StatusSchema, secretFields: ["token"]);
        var refused = await Assert.ThrowsAsync<EntityValidationException>(() => cluster.DefineAsync(kind, """{"$ref": "https://example.com/schema.json"}"""));

        Assert.Equal(1, first.Version);
        Assert.Equal(1, same.Version);
        Assert.Equal(2, second.Version);
        Assert.Equal("Schema", refused.Field);
        var described = await cluster.Grains.GetGrain<IEntityKindGrain>(kind).Describe();
        Assert.Equal(2, described!.Version);
        Assert.Equal(["token"], described.Definition.SecretFields);
        Assert.Null(await cluster.Grains.GetGrain<IEntityKindGrain>(NewKind()).Describe());
    }

    [Fact]
    public async Task A_redefined_schema_applies_to_the_next_write()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);
        var entity = cluster.Grains.GetGrain<IEntityGrain>($"{kind}/a");
        await entity.Mutate(Patch("""{"status":"anything"}"""));

        await cluster.DefineAsync(kind, StatusSchema);

        await Assert.ThrowsAsync<EntitySchemaException>(() => entity.Mutate(Patch("""{"status":"other"}""")));
        Assert.Equal(2, (await entity.Mutate(Patch("""{"status":"running"}"""))).Version);
    }

    [Fact]
    public async Task A_write_that_changes_nothing_bumps_no_version_records_nothing_and_emits_nothing()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind, StatusSchema);
        var key = $"{kind}/noop";
        var entity = cluster.Grains.GetGrain<IEntityGrain>(key);
        var created = await entity.Mutate(Patch("""{"status":"queued","replicas":2}"""));

        // Same values in other spellings: key order and 2.0 for 2.
        var noop = await entity.Mutate(Replace("""{"replicas":2.0,"status":"queued"}"""));
        var noopPatch = await entity.Mutate(Patch("""{"status":"queued"}"""));
        var changed = await entity.Mutate(Patch("""{"status":"running"}"""));

        Assert.Equal(1, created.Version);
        Assert.Equal((1L, false, (string?)null), (noop.Version, noop.Changed, noop.ChangeId));
        Assert.Equal((1L, false, (string?)null), (noopPatch.Version, noopPatch.Changed, noopPatch.ChangeId));
        Assert.Equal(2, changed.Version);
        var history = await entity.History(null, null, 100);
        Assert.Equal([2L, 1L, 1L], history.Select(t => t.Version));

        // The recorder has the events of versions 1 and 2 once the second arrived; the no-ops published nothing in between.
        var events = await cluster.ChangedEventsAsync(key, 2);
        Assert.Equal([1L, 2L], events.ChangedOnce().Select(e => e.Version));
        Assert.Equal([created.ChangeId, changed.ChangeId], events.ChangedOnce().Select(e => JsonNode.Parse(e.Payload)!["change_id"]!.GetValue<string>()));
        Assert.Equal(new[] { "entity.changed", $"{kind}.created", "entity.changed", $"{kind}.updated" }, events.Select(e => e.Type));
    }

    [Fact]
    public async Task A_state_that_fails_the_schema_is_refused_with_its_errors_and_changes_nothing()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind, StatusSchema);
        var key = $"{kind}/schema";
        var entity = cluster.Grains.GetGrain<IEntityGrain>(key);
        await entity.Mutate(Patch("""{"status":"queued","replicas":1}"""));
        var before = await entity.Get();

        var error = await Assert.ThrowsAsync<EntitySchemaException>(() => entity.Mutate(Patch("""{"status":"exploded","replicas":"many"}""")));
        var missing = await Assert.ThrowsAsync<EntitySchemaException>(() => entity.Mutate(Replace("""{"replicas":3}""")));

        Assert.Equal(kind, error.Kind);
        Assert.Equal(1, error.SchemaVersion);
        Assert.Contains(error.Errors, e => e.Path.Contains("status") && e.Kind == "NotInEnumeration");
        Assert.Contains(error.Errors, e => e.Path.Contains("replicas") && e.Kind == "IntegerExpected");
        Assert.Contains(missing.Errors, e => e.Kind == "PropertyRequired");
        Assert.Equal(before, await entity.Get());
        Assert.Equal(2, (await entity.History(null, null, 100)).Count);

        await entity.Mutate(Patch("""{"replicas":5}"""));
        var events = await cluster.ChangedEventsAsync(key, 2);
        Assert.Equal([1L, 2L], events.ChangedOnce().Select(e => e.Version));
    }

    [Fact]
    public async Task An_expected_version_that_is_not_current_is_refused_with_the_current_version()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);
        var entity = cluster.Grains.GetGrain<IEntityGrain>($"{kind}/occ");

        var created = await entity.Mutate(Patch("""{"a":1}""", expectedVersion: 0));
        var conflict = await Assert.ThrowsAsync<EntityVersionConflictException>(() => entity.Mutate(Patch("""{"a":2}""", expectedVersion: 0)));
        var updated = await entity.Mutate(Patch("""{"a":3}""", expectedVersion: 1));
        var removeConflict = await Assert.ThrowsAsync<EntityVersionConflictException>(() => entity.Remove("agent-1", 1));

        Assert.Equal(1, created.Version);
        Assert.Equal((0L, 1L), (conflict.ExpectedVersion, conflict.CurrentVersion));
        Assert.Equal(2, updated.Version);
        Assert.Equal(2, removeConflict.CurrentVersion);
        Assert.Equal("""{"a":3}""", (await entity.Get()).State);
    }

    [Fact]
    public async Task A_retry_with_the_same_request_id_gets_the_first_answer()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);
        var key = $"{kind}/retry";
        var entity = cluster.Grains.GetGrain<IEntityGrain>(key);

        var first = await entity.Mutate(Patch("""{"n":1}""", requestId: "req-1"));
        var retry = await entity.Mutate(Patch("""{"n":1}""", requestId: "req-1"));
        await entity.Mutate(Patch("""{"n":2}""", requestId: "req-2"));
        var lateRetry = await entity.Mutate(Patch("""{"n":1}""", requestId: "req-1"));
        var reused = await Assert.ThrowsAsync<EntityValidationException>(() => entity.Mutate(Patch("""{"n":9}""", requestId: "req-1")));

        Assert.Equal(Answer(first), Answer(retry));
        Assert.Equal(Answer(first), Answer(lateRetry));
        Assert.Equal("RequestId", reused.Field);
        Assert.Equal((2L, """{"n":2}"""), ((await entity.Get()).Version, (await entity.Get()).State));
        var events = await cluster.ChangedEventsAsync(key, 2);
        Assert.Equal([1L, 2L], events.ChangedOnce().Select(e => e.Version));
    }

    [Fact]
    public async Task Removal_leaves_a_tombstone_and_publishes_a_change_with_no_next_state()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);
        var key = $"{kind}/gone";
        var entity = cluster.Grains.GetGrain<IEntityGrain>(key);
        await entity.Mutate(Patch("""{"a":1}"""));

        var removed = await entity.Remove("agent-2", 1);
        var again = await entity.Remove("agent-2", null);
        var recreated = await entity.Mutate(Patch("""{"b":2}"""));

        Assert.Equal((RemoveOutcome.Removed, 2L), (removed.Outcome, removed.Version));
        Assert.Equal(RemoveOutcome.AlreadyRemoved, again.Outcome);
        Assert.Equal((3L, true), (recreated.Version, recreated.Created));
        var events = await cluster.ChangedEventsAsync(key, 3);
        var removal = JsonNode.Parse(events.ChangedOnce()[1].Payload)!;
        Assert.Null(removal["next"]);
        Assert.Empty(removal["delta"]!.AsObject());
        Assert.Equal("agent-2", removal["actor"]!.GetValue<string>());
        Assert.Contains(events, e => e.Type == $"{kind}.deleted");
        Assert.Equal(RemoveOutcome.NotFound, (await cluster.Grains.GetGrain<IEntityGrain>($"{kind}/never").Remove("agent-2", null)).Outcome);
    }

    [Fact]
    public async Task A_bad_key_or_request_is_refused_naming_the_field()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);

        var badKey = await Assert.ThrowsAsync<EntityValidationException>(() => cluster.Grains.GetGrain<IEntityGrain>("Not A Kind/x").Mutate(Patch("{}")));
        var noActor = await Assert.ThrowsAsync<EntityValidationException>(() => cluster.Grains.GetGrain<IEntityGrain>($"{kind}/x").Mutate(Patch("{}", actor: "")));
        var both = await Assert.ThrowsAsync<EntityValidationException>(() =>
            cluster.Grains.GetGrain<IEntityGrain>($"{kind}/x").Mutate(new MutateRequest { Patch = "{}", State = "{}", Actor = "a", RequestId = "r" }));

        Assert.Equal("Key", badKey.Field);
        Assert.Equal("Actor", noActor.Field);
        Assert.Contains(both.Field, new[] { "Patch", "State" });
        Assert.Equal(EntityStatus.NotFound, (await cluster.Grains.GetGrain<IEntityGrain>($"{kind}/x").Get()).Status);
    }

    private static (long, string, string?, string) Answer(MutateResult result) =>
        (result.Version, result.State, result.ChangeId, string.Join(",", result.ChangedFields));

    internal static string NewKind() => "k" + Guid.NewGuid().ToString("N")[..12];

    internal static MutateRequest Patch(string patch, string? requestId = null, long? expectedVersion = null, string actor = "agent-1", string? runId = null) =>
        new() { Patch = patch, RequestId = requestId ?? Guid.NewGuid().ToString(), ExpectedVersion = expectedVersion, Actor = actor, RunId = runId };

    internal static MutateRequest Replace(string state, string? requestId = null, long? expectedVersion = null, string actor = "agent-1") =>
        new() { State = state, RequestId = requestId ?? Guid.NewGuid().ToString(), ExpectedVersion = expectedVersion, Actor = actor };
}
