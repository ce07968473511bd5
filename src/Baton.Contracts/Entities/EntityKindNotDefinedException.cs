namespace Baton.Contracts.Entities;

/// <summary>A write named a kind that has no definition yet (define it with <see cref="IEntityKindGrain.Define"/>); nothing was changed.</summary>
[GenerateSerializer, Alias("baton.entities.kind_not_defined")]
public sealed class EntityKindNotDefinedException : Exception
{
    public EntityKindNotDefinedException()
    {
    }

    public EntityKindNotDefinedException(string kind) : base($"Kind '{kind}' is not defined.")
    {
        Kind = kind;
    }

    public EntityKindNotDefinedException(string message, Exception inner) : base(message, inner)
    {
    }

    [Id(0)] public string Kind { get; private set; } = "";
}
