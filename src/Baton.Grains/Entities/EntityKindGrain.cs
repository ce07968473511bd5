using Baton.Contracts.Entities;
using Baton.Grains.Common;
using Orleans.Concurrency;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Grains.Entities;

/// <summary>
/// One kind of entity: its versioned definition. <see cref="KindDefinitions"/> decides; the grain
/// persists before it answers. Entity grains ask <see cref="Describe"/> before every write, so a
/// redefinition applies to the next write of every entity of the kind.
/// </summary>
public sealed class EntityKindGrain(
    [PersistentState("entitykind", "baton")] IPersistentState<EntityKindState> state,
    [FromKeyedServices(EntityServiceKeys.Clock)] TimeProvider time,
    ILogger<EntityKindGrain> logger) : Grain, IEntityKindGrain
{
    public async Task<KindDescription> Define(KindDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var kind = this.GetPrimaryKeyString();

        // Decide on a copy: a failed write must leave the activation's state as storage has it.
        var next = new EntityKindState { Version = state.State.Version, Definition = state.State.Definition, DefinedAt = state.State.DefinedAt };
        var (description, changed) = await KindDefinitions.DefineAsync(next, kind, definition, time.GetUtcNow());
        if (!changed)
        {
            return description;
        }

        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteOrConflictAsync(this);
        }
        catch
        {
            state.State = previous;
            throw;
        }

        logger.LogInformation(
            "Kind {Kind} defined at version {Version} ({SecretFieldCount} secret field(s), {DeriverCount} deriver(s)).",
            kind, description.Version, description.Definition.SecretFields.Count, description.Definition.Derivers.Count);
        return description;
    }

    // Entity grains of the kind call this before every write; read-only calls may interleave with each other.
    [ReadOnly]
    public Task<KindDescription?> Describe()
    {
        var kind = this.GetPrimaryKeyString();
        EntityKey.ValidateKind(kind);
        return Task.FromResult(KindDefinitions.Describe(state.State, kind));
    }
}
