namespace Baton.Contracts.Entities;

/// <summary>One way a state fails its kind's JSON Schema.</summary>
/// <param name="Path">Where in the state, as a JSON-Pointer-like path from the root (<c>#/status</c>, <c>#/tags[2]</c>); <c>#</c> for the root.</param>
/// <param name="Message">What is wrong, in words (<c>is required</c>, <c>expected a string</c>).</param>
/// <param name="Kind">The validator's error code (e.g. <c>PropertyRequired</c>, <c>StringExpected</c>), for programs.</param>
[GenerateSerializer, Immutable, Alias("baton.entities.schema_error")]
public sealed record EntitySchemaError(
    [property: Id(0)] string Path,
    [property: Id(1)] string Message,
    [property: Id(2)] string Kind)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// The state a mutation would produce fails the kind's schema; nothing was changed. <see cref="Errors"/>
/// lists every failure the validator found.
/// </summary>
[GenerateSerializer, Alias("baton.entities.schema_rejected")]
public sealed class EntitySchemaException : Exception
{
    public EntitySchemaException()
    {
    }

    public EntitySchemaException(string message) : base(message)
    {
    }

    public EntitySchemaException(string message, Exception inner) : base(message, inner)
    {
    }

    public EntitySchemaException(string kind, long schemaVersion, IReadOnlyList<EntitySchemaError> errors)
        : base($"The state does not match the schema of kind '{kind}' (version {schemaVersion}): {string.Join("; ", errors)}")
    {
        Kind = kind;
        SchemaVersion = schemaVersion;
        Errors = errors;
    }

    [Id(0)] public string Kind { get; private set; } = "";

    /// <summary>The version of the kind definition whose schema refused the state.</summary>
    [Id(1)] public long SchemaVersion { get; private set; }

    [Id(2)] public IReadOnlyList<EntitySchemaError> Errors { get; private set; } = [];
}
