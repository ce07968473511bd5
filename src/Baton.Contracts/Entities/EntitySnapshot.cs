namespace Baton.Contracts.Entities;

[GenerateSerializer]
public enum EntityStatus
{
    /// <summary>Never written.</summary>
    NotFound = 0,

    Live = 1,

    /// <summary>Removed; the version of the removal is kept so that optimistic writes stay ordered.</summary>
    Tombstoned = 2,
}

/// <summary>What <see cref="IEntityGrain.Get"/> returns: the state with real values, or why there is none.</summary>
[GenerateSerializer, Immutable, Alias("baton.entities.snapshot")]
public sealed record EntitySnapshot
{
    [Id(0)] public string Kind { get; init; } = "";

    [Id(1)] public string Id { get; init; } = "";

    [Id(2)] public EntityStatus Status { get; init; }

    /// <summary>0 when never written; the removal's version for a tombstone.</summary>
    [Id(3)] public long Version { get; init; }

    /// <summary>The state as JSON text; null unless <see cref="EntityStatus.Live"/>.</summary>
    [Id(4)] public string? State { get; init; }

    /// <summary>When the current version was written (the removal, for a tombstone); null when never written.</summary>
    [Id(5)] public DateTimeOffset? ChangedAt { get; init; }
}

[GenerateSerializer]
public enum RemoveOutcome
{
    Removed = 0,

    /// <summary>Already a tombstone: nothing changed (removal is idempotent).</summary>
    AlreadyRemoved = 1,

    /// <summary>Never written: nothing to remove.</summary>
    NotFound = 2,
}

[GenerateSerializer, Immutable, Alias("baton.entities.remove_result")]
public sealed record RemoveResult
{
    [Id(0)] public RemoveOutcome Outcome { get; init; }

    /// <summary>The version of the tombstone (or the current version when nothing changed).</summary>
    [Id(1)] public long Version { get; init; }

    [Id(2)] public string? ChangeId { get; init; }
}
