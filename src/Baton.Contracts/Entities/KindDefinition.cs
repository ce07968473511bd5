namespace Baton.Contracts.Entities;

/// <summary>
/// What a kind of entity is: the JSON Schema its state must match, the fields whose values are
/// secret, and the declarative rules that derive trigger events from changes.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.entities.kind_definition")]
public sealed record KindDefinition
{
    /// <summary>
    /// A JSON Schema (draft 4 to 2020-12 keywords as NJsonSchema supports them) as JSON text. Every
    /// entity state is a JSON object, so the schema should describe one; <c>{}</c> accepts any object.
    /// Only references inside the document (<c>#/definitions/…</c>) are allowed.
    /// </summary>
    [Id(0)] public string Schema { get; init; } = "{}";

    /// <summary>
    /// Fields whose values appear as <c>***</c> in history, events and logs. A top-level field name
    /// (<c>token</c>) or a dotted path into nested objects (<c>credentials.password</c>).
    /// </summary>
    [Id(1)] public IReadOnlyList<string> SecretFields { get; init; } = [];

    /// <summary>Field rules that publish extra trigger events, besides <c>&lt;kind&gt;.created|updated|deleted</c>.</summary>
    [Id(2)] public IReadOnlyList<FieldRule> Derivers { get; init; } = [];
}

/// <summary>How a <see cref="FieldRule"/> compares a field's old and new values with its <see cref="FieldRule.Value"/>.</summary>
[GenerateSerializer]
public enum FieldRuleOp
{
    /// <summary>The field's new value equals the rule's value (compared canonically) and its old value did not.</summary>
    ChangedTo = 0,

    /// <summary>The field's new value is a number above the threshold and its old value was not (absent, not a number, or ≤ threshold).</summary>
    CrossesAbove = 1,

    /// <summary>The field's new value is a number below the threshold and its old value was not (absent, not a number, or ≥ threshold).</summary>
    CrossesBelow = 2,
}

/// <summary>
/// A declarative trigger on one top-level field. When it matches a change, an event of type
/// <c>&lt;kind&gt;.&lt;Event&gt;</c> is published beside <c>entity.changed</c>. Example: field <c>status</c>,
/// <see cref="FieldRuleOp.ChangedTo"/>, value <c>"failed"</c> publishes <c>deployment.status.failed</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.entities.field_rule")]
public sealed record FieldRule
{
    /// <summary>A top-level field of the state.</summary>
    [Id(0)] public string Field { get; init; } = "";

    [Id(1)] public FieldRuleOp Op { get; init; }

    /// <summary>The value as JSON text: <c>"failed"</c> (with quotes) for a string, <c>90</c> for a number; a number for crossings.</summary>
    [Id(2)] public string Value { get; init; } = "null";

    /// <summary>
    /// The event name after <c>&lt;kind&gt;.</c>: lowercase letters, digits, '-', '_' and '.'. When empty it is
    /// <c>&lt;field&gt;.&lt;value&gt;</c> for <see cref="FieldRuleOp.ChangedTo"/> of a string or number
    /// (<c>status.failed</c>), and <c>&lt;field&gt;.crossed_above</c> / <c>&lt;field&gt;.crossed_below</c> for crossings.
    /// </summary>
    [Id(3)] public string? Event { get; init; }
}

/// <summary>The current definition of a kind and its version (1 for the first definition; a redefinition that changes nothing keeps the version).</summary>
[GenerateSerializer, Immutable, Alias("baton.entities.kind_description")]
public sealed record KindDescription
{
    [Id(0)] public string Kind { get; init; } = "";

    [Id(1)] public long Version { get; init; }

    /// <summary>The definition as stored: derivers carry their resolved event names.</summary>
    [Id(2)] public KindDefinition Definition { get; init; } = new();

    [Id(3)] public DateTimeOffset DefinedAt { get; init; }
}

/// <summary>The wire names of <see cref="FieldRuleOp"/> (HTTP, CLI and event payloads): <c>changed_to</c>, <c>crosses_above</c>, <c>crosses_below</c>.</summary>
public static class FieldRuleOps
{
    public const string ChangedTo = "changed_to";
    public const string CrossesAbove = "crosses_above";
    public const string CrossesBelow = "crosses_below";

    public static string Name(FieldRuleOp op) => op switch
    {
        FieldRuleOp.ChangedTo => ChangedTo,
        FieldRuleOp.CrossesAbove => CrossesAbove,
        FieldRuleOp.CrossesBelow => CrossesBelow,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown field rule op"),
    };

    public static bool TryParse(string? name, out FieldRuleOp op)
    {
        (var found, op) = name switch
        {
            ChangedTo => (true, FieldRuleOp.ChangedTo),
            CrossesAbove => (true, FieldRuleOp.CrossesAbove),
            CrossesBelow => (true, FieldRuleOp.CrossesBelow),
            _ => (false, default),
        };
        return found;
    }
}
