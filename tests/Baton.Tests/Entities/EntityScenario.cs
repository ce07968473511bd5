using System.Text.Json.Nodes;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;

namespace Baton.Tests.Entities;

/// <summary>Builds kinds and writes for the pure entity tests.</summary>
internal static class EntityScenario
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static async Task<KindContext> Kind(string kind = "deployment", string schema = "{}", string[]? secretFields = null, FieldRule[]? derivers = null)
    {
        var state = new EntityKindState();
        var (description, _) = await KindDefinitions.DefineAsync(
            state, kind, new KindDefinition { Schema = schema, SecretFields = secretFields ?? [], Derivers = derivers ?? [] }, Start);
        return new KindContext(description, await KindSchema.CompileAsync(description.Definition.Schema));
    }

    public static MutateRequest Patch(string patch, string? requestId = null, long? expectedVersion = null, string actor = "agent-1", string? runId = null) =>
        new() { Patch = patch, RequestId = requestId ?? Guid.NewGuid().ToString(), ExpectedVersion = expectedVersion, Actor = actor, RunId = runId };

    public static MutateRequest Replace(string state, string? requestId = null, long? expectedVersion = null, string actor = "agent-1") =>
        new() { State = state, RequestId = requestId ?? Guid.NewGuid().ToString(), ExpectedVersion = expectedVersion, Actor = actor };

    /// <summary>Decides and commits, as the grain does (history with retention at every write, then the answer); throws the refusal.</summary>
    public static EntityChangeDecision Write(string key, ScenarioEntity entity, MutateRequest request, KindContext kind, DateTimeOffset now, IEnumerable<string>? runSecrets = null, EntityOptions? options = null)
    {
        options ??= new EntityOptions();
        var decision = EntityChange.Mutate(key, entity.Blob, request, kind, now, runSecrets, entity.Requests);
        decision.ThrowIfRefused();
        if (decision.Record is { Transitions.Count: > 0 } record)
        {
            EntityHistory.Append(entity.History, record.Transitions, now, options.History);
        }

        EntityChange.Commit(key, entity.Blob, decision);
        if (decision.Remember is { } answer)
        {
            entity.Requests.Remember(answer, options);
        }

        return decision;
    }

    public static JsonNode? Json(string text) => JsonNode.Parse(text);
}

/// <summary>
/// What an entity grain holds, for the pure tests: its state blob, its history as the history store shows it and its
/// request memory. Converts to the blob, so it goes wherever <see cref="EntityChange"/> takes an <see cref="EntityState"/>.
/// </summary>
internal sealed class ScenarioEntity
{
    public EntityState Blob { get; } = new();

    /// <summary>Transitions in version order, under retention.</summary>
    public List<FieldTransition> History { get; } = [];

    public RequestMemory Requests { get; } = new();

    public long Version => Blob.Version;

    public string? State => Blob.State;

    public DateTimeOffset? ChangedAt => Blob.ChangedAt;

    public EntityStatus Status => Blob.Status;

    public Baton.Grains.Events.EventOutbox Outbox => Blob.Outbox;

    public static implicit operator EntityState(ScenarioEntity entity) => entity.Blob;
}
