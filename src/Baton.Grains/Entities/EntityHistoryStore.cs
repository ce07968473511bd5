using Baton.Contracts.Entities;

namespace Baton.Grains.Entities;

/// <summary>
/// What an entity's persisted state says it is: its <see cref="EntityState.Version"/> and the change that made
/// that version (<see cref="EntityState.ChangeId"/>; null for state written before change ids were kept). History
/// and answer rows are read through it: a row is visible when its version is below <see cref="Version"/>, or equal
/// to it and written by <see cref="ChangeId"/> (or by no change: a no-op answer). Rows of a write whose state
/// write failed or never happened are therefore never visible.
/// </summary>
public readonly record struct EntityVisibility(long Version, string? ChangeId)
{
    public static EntityVisibility Of(EntityState state) => new(state.Version, state.ChangeId);

    /// <summary>True when a row of <paramref name="version"/> written by <paramref name="changeId"/> ("" for a no-op answer) is visible.</summary>
    public bool Shows(long version, string changeId) =>
        version < Version || version == Version && (changeId.Length == 0 || ChangeId is null || changeId == ChangeId);
}

/// <summary>
/// What one write appends to the <see cref="IEntityHistoryStore"/> before its state write: the masked field
/// transitions of the version it makes, and the answer to remember under its request id. Appending the same
/// record again changes nothing.
/// </summary>
public sealed record EntityRecord
{
    /// <summary>The entity, <c>kind/id</c>.</summary>
    public required string Key { get; init; }

    /// <summary>The version the write makes, or the current version for a no-op answer.</summary>
    public long Version { get; init; }

    /// <summary>The change that makes <see cref="Version"/>; null for a no-op answer (which makes no version).</summary>
    public string? ChangeId { get; init; }

    /// <summary>
    /// The change that made <c>Version - 1</c> as the writer's persisted state says. Rows of that version written by
    /// any other change belong to a write whose state write failed; the store deletes them. Null: nothing to tidy.
    /// </summary>
    public string? PreviousChangeId { get; init; }

    /// <summary>Masked field transitions of <see cref="Version"/>.</summary>
    public IReadOnlyList<FieldTransition> Transitions { get; init; } = [];

    /// <summary>The answer to remember (real values, like the state itself); null for a removal.</summary>
    public RememberedMutation? Request { get; init; }
}

/// <summary>
/// Field history and remembered answers of entities, outside the entity's state blob so that a write costs the same
/// however long the history is. Rows are appended before the state write and read through an
/// <see cref="EntityVisibility"/>, so they never need a transaction shared with grain storage.
/// </summary>
/// <remarks>
/// Implementations: <see cref="InMemoryEntityHistoryStore"/> (dev mode) and the PostgreSQL store in
/// <c>Baton.Postgres</c> (tables <c>baton_entity_history</c> and <c>baton_entity_requests</c>, migration 0009).
/// History rows hold masked values only; answer rows hold the writer's answer with real values, as the state does.
/// </remarks>
public interface IEntityHistoryStore
{
    /// <summary>Appends <paramref name="record"/>; completes when it is durable. Idempotent.</summary>
    Task AppendAsync(EntityRecord record, CancellationToken cancellationToken = default);

    /// <summary>Visible transitions, newest first (version descending, then field descending), of <paramref name="field"/> when given, at or after <paramref name="since"/> when given, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<FieldTransition>> QueryAsync(string key, EntityVisibility visible, string? field, DateTimeOffset? since, int limit, CancellationToken cancellationToken = default);

    /// <summary>How many visible transitions of <paramref name="field"/> happened in <c>[from, to]</c>.</summary>
    Task<int> CountAsync(string key, EntityVisibility visible, string field, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>The visible remembered answers given at or after <paramref name="notBefore"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<RememberedMutation>> RequestsAsync(string key, EntityVisibility visible, DateTimeOffset notBefore, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies retention to the entity's visible rows: <see cref="EntityHistory.Prune"/> for transitions (each field's
    /// latest is kept), and for answers the newest <see cref="EntityOptions.RememberedRequests"/> given within
    /// <see cref="EntityOptions.RememberRequestsFor"/>.
    /// </summary>
    Task PruneAsync(string key, EntityVisibility visible, DateTimeOffset now, EntityOptions options, CancellationToken cancellationToken = default);
}

/// <summary>The dev-mode <see cref="IEntityHistoryStore"/>: per-entity lists in memory, lost with the silo like the rest of dev mode.</summary>
public sealed class InMemoryEntityHistoryStore : IEntityHistoryStore
{
    private readonly Dictionary<string, Entry> _entities = new(StringComparer.Ordinal);

    public Task AppendAsync(EntityRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_entities)
        {
            var entry = EntryOf(record.Key);
            var changeId = record.ChangeId ?? "";
            if (changeId.Length > 0 && !entry.Transitions.Any(r => r.Version == record.Version && r.ChangeId == changeId))
            {
                var at = entry.Transitions.FindIndex(r => r.Version > record.Version);
                entry.Transitions.InsertRange(at < 0 ? entry.Transitions.Count : at, record.Transitions.Select(t => new Row<FieldTransition>(record.Version, changeId, t)));
            }

            if (record.Request is { } request && !entry.Requests.Any(r => r.Item.RequestId == request.RequestId && r.ChangeId == changeId))
            {
                entry.Requests.Add(new Row<RememberedMutation>(record.Version, changeId, request));
            }

            if (record.PreviousChangeId is { } previous)
            {
                entry.Transitions.RemoveAll(r => r.Version == record.Version - 1 && r.ChangeId != previous);
                entry.Requests.RemoveAll(r => r.Version == record.Version - 1 && r.ChangeId.Length > 0 && r.ChangeId != previous);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<FieldTransition>> QueryAsync(string key, EntityVisibility visible, string? field, DateTimeOffset? since, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult(EntityHistory.Query(Visible(key, visible), field, since, limit));

    public Task<int> CountAsync(string key, EntityVisibility visible, string field, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) =>
        Task.FromResult(Visible(key, visible).Count(t => t.Field == field && t.At >= from && t.At <= to));

    public Task<IReadOnlyList<RememberedMutation>> RequestsAsync(string key, EntityVisibility visible, DateTimeOffset notBefore, int limit, CancellationToken cancellationToken = default)
    {
        lock (_entities)
        {
            IReadOnlyList<RememberedMutation> requests = _entities.TryGetValue(key, out var entry)
                ? [.. entry.Requests.Where(r => visible.Shows(r.Version, r.ChangeId) && r.Item.At >= notBefore).Select(r => r.Item).OrderByDescending(r => r.At).Take(limit)]
                : [];
            return Task.FromResult(requests);
        }
    }

    public Task PruneAsync(string key, EntityVisibility visible, DateTimeOffset now, EntityOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_entities)
        {
            if (!_entities.TryGetValue(key, out var entry))
            {
                return Task.CompletedTask;
            }

            var shown = entry.Transitions.Where(r => visible.Shows(r.Version, r.ChangeId)).ToList();
            var kept = shown.Select(r => r.Item).ToList();
            EntityHistory.Prune(kept, now, options.History);
            var keep = kept.ToHashSet();
            entry.Transitions.RemoveAll(r => visible.Shows(r.Version, r.ChangeId) && !keep.Contains(r.Item));

            var cutoff = now - options.RememberRequestsFor;
            var newest = entry.Requests.Where(r => visible.Shows(r.Version, r.ChangeId) && r.Item.At >= cutoff)
                .OrderByDescending(r => r.Item.At).Take(Math.Max(1, options.RememberedRequests)).ToHashSet();
            entry.Requests.RemoveAll(r => visible.Shows(r.Version, r.ChangeId) && !newest.Contains(r));
        }

        return Task.CompletedTask;
    }

    private List<FieldTransition> Visible(string key, EntityVisibility visible)
    {
        lock (_entities)
        {
            return _entities.TryGetValue(key, out var entry)
                ? [.. entry.Transitions.Where(r => visible.Shows(r.Version, r.ChangeId)).Select(r => r.Item)]
                : [];
        }
    }

    private Entry EntryOf(string key)
    {
        if (!_entities.TryGetValue(key, out var entry))
        {
            _entities[key] = entry = new Entry();
        }

        return entry;
    }

    private sealed record Row<T>(long Version, string ChangeId, T Item);

    private sealed class Entry
    {
        // Version order, and within a version the writer's (ordinal field) order, as EntityHistory expects.
        public List<Row<FieldTransition>> Transitions { get; } = [];

        public List<Row<RememberedMutation>> Requests { get; } = [];
    }
}
