namespace Baton.Contracts.Entities;

/// <summary>
/// One entity, keyed <c>kind/id</c> (see <see cref="EntityKey"/>): a JSON object checked against its
/// kind's schema, versioned, with field-level history and a change event for every real change.
/// </summary>
public interface IEntityGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies a merge patch or replaces the state. A write that changes nothing is a no-op (same
    /// version, no history, no event). Throws <see cref="EntityKindNotDefinedException"/>,
    /// <see cref="EntitySchemaException"/> (with the schema's errors), <see cref="EntityVersionConflictException"/>
    /// (with the current version) or <see cref="EntityValidationException"/>; each changes nothing. Retrying
    /// with the same <see cref="MutateRequest.RequestId"/> returns the first answer.
    /// </summary>
    Task<MutateResult> Mutate(MutateRequest request);

    /// <summary>Leaves a tombstone and publishes <c>entity.changed</c> with <c>next = null</c>. Throws <see cref="EntityVersionConflictException"/> when <paramref name="expectedVersion"/> is not current.</summary>
    Task<RemoveResult> Remove(string actor, long? expectedVersion);

    /// <summary>The state with real values and its version, or why there is none.</summary>
    Task<EntitySnapshot> Get();

    /// <summary>Field transitions, newest first, optionally of one field and at or after <paramref name="since"/>; at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<FieldTransition>> History(string? field, DateTimeOffset? since, int limit);

    /// <summary>Since when <paramref name="field"/> has had its current value; null when it never had one or the entity is not live.</summary>
    Task<FieldSince?> InStateSince(string field);

    /// <summary>How long <paramref name="field"/> has had its current value; null like <see cref="InStateSince"/>.</summary>
    Task<TimeSpan?> InStateFor(string field);

    /// <summary>How many times <paramref name="field"/> changed within the last <paramref name="window"/> (as far as history retention reaches).</summary>
    Task<int> TransitionCount(string field, TimeSpan window);
}
