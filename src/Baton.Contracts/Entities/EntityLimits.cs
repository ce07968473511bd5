namespace Baton.Contracts.Entities;

/// <summary>The fixed limits of entity keys and requests.</summary>
public static class EntityLimits
{
    public const int MaxKindLength = 64;

    public const int MaxIdLength = 200;

    public const int MaxActorLength = 256;

    public const int MaxRequestIdLength = 256;

    /// <summary>The most transitions one <see cref="IEntityGrain.History"/> call returns.</summary>
    public const int MaxHistoryLimit = 10_000;
}
