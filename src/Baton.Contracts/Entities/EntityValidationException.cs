namespace Baton.Contracts.Entities;

/// <summary>
/// A key, an id, a request or a kind definition broke a rule; nothing was changed. <see cref="Field"/>
/// names the offending input (the .NET member name, e.g. <c>Key</c>, <c>Patch</c>) and <see cref="Rule"/>
/// says what it must be.
/// </summary>
[GenerateSerializer, Alias("baton.entities.validation_error")]
public sealed class EntityValidationException : Exception
{
    public EntityValidationException()
    {
    }

    public EntityValidationException(string message) : base(message)
    {
    }

    public EntityValidationException(string message, Exception inner) : base(message, inner)
    {
    }

    public EntityValidationException(string field, string rule) : base($"{field}: {rule}")
    {
        Field = field;
        Rule = rule;
    }

    [Id(0)] public string Field { get; private set; } = "";

    [Id(1)] public string Rule { get; private set; } = "";
}
