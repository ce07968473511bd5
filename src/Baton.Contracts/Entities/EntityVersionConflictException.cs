namespace Baton.Contracts.Entities;

/// <summary>
/// A write named an expected version that is not the entity's current one (optimistic concurrency);
/// nothing was changed. Re-read at <see cref="CurrentVersion"/> and retry.
/// </summary>
[GenerateSerializer, Alias("baton.entities.version_conflict")]
public sealed class EntityVersionConflictException : Exception
{
    public EntityVersionConflictException()
    {
    }

    public EntityVersionConflictException(string message) : base(message)
    {
    }

    public EntityVersionConflictException(string message, Exception inner) : base(message, inner)
    {
    }

    public EntityVersionConflictException(string key, long expectedVersion, long currentVersion)
        : base($"Entity '{key}' is at version {currentVersion}, not the expected version {expectedVersion}.")
    {
        Key = key;
        ExpectedVersion = expectedVersion;
        CurrentVersion = currentVersion;
    }

    [Id(0)] public string Key { get; private set; } = "";

    [Id(1)] public long ExpectedVersion { get; private set; }

    /// <summary>The entity's version now (0 when it was never written; a tombstone has a version too).</summary>
    [Id(2)] public long CurrentVersion { get; private set; }
}
