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

    /// <summary>Decides and commits, as the grain does; throws the refusal.</summary>
    public static EntityChangeDecision Write(string key, EntityState state, MutateRequest request, KindContext kind, DateTimeOffset now, IEnumerable<string>? runSecrets = null, EntityOptions? options = null)
    {
        var decision = EntityChange.Mutate(key, state, request, kind, now, runSecrets);
        decision.ThrowIfRefused();
        EntityChange.Commit(key, state, decision, options ?? new EntityOptions());
        return decision;
    }

    public static JsonNode? Json(string text) => JsonNode.Parse(text);
}
