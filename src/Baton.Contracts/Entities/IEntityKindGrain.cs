namespace Baton.Contracts.Entities;

/// <summary>
/// A kind of entity, keyed by the kind name (see <see cref="EntityKey.KindProblem"/>): its schema,
/// secret fields and derivers, versioned. Entities of a kind can be written only once it is defined.
/// </summary>
public interface IEntityKindGrain : IGrainWithStringKey
{
    /// <summary>
    /// Defines or redefines the kind. A definition that differs from the current one gets the next
    /// version; an identical one returns the current description unchanged. Throws
    /// <see cref="EntityValidationException"/> for an invalid key, schema or rule (field <c>Schema</c>,
    /// <c>SecretFields</c> or <c>Derivers</c>); nothing is changed then.
    /// </summary>
    Task<KindDescription> Define(KindDefinition definition);

    /// <summary>The current definition, or null when the kind was never defined.</summary>
    Task<KindDescription?> Describe();
}
