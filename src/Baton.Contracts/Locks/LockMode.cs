namespace Baton.Contracts.Locks;

[GenerateSerializer, Alias("baton.locks.mode")]
public enum LockMode
{
    /// <summary>One holder at a time, and no shared holders beside it.</summary>
    Exclusive = 0,

    /// <summary>Any number of shared holders at once, but no exclusive holder.</summary>
    Shared = 1,
}
