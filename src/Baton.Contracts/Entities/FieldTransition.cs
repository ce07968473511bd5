using System.Text.Json.Nodes;

namespace Baton.Contracts.Entities;

/// <summary>
/// One top-level field changing value in one write. Values are JSON text with secrets masked as
/// <c>"***"</c>; null means the field was absent (JSON <c>null</c> is the text <c>null</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.entities.field_transition")]
public sealed record FieldTransition
{
    [Id(0)] public string Field { get; init; } = "";

    [Id(1)] public string? From { get; init; }

    [Id(2)] public string? To { get; init; }

    [Id(3)] public DateTimeOffset At { get; init; }

    [Id(4)] public string Actor { get; init; } = "";

    /// <summary>The entity version the write produced.</summary>
    [Id(5)] public long Version { get; init; }

    /// <summary>The snake_case JSON shape shared by the HTTP API and the CLI; an absent from/to is left out, JSON null stays null.</summary>
    public JsonObject ToJson()
    {
        var document = new JsonObject { ["field"] = Field };
        if (From is not null)
        {
            document["from"] = JsonNode.Parse(From);
        }

        if (To is not null)
        {
            document["to"] = JsonNode.Parse(To);
        }

        document["at"] = At;
        document["actor"] = Actor;
        document["version"] = Version;
        return document;
    }
}

/// <summary>Since when a field has had its current value (from its latest transition).</summary>
[GenerateSerializer, Immutable, Alias("baton.entities.field_since")]
public sealed record FieldSince
{
    [Id(0)] public string Field { get; init; } = "";

    /// <summary>The value it has had since then, JSON text, masked like history; null when the field is absent.</summary>
    [Id(1)] public string? Value { get; init; }

    [Id(2)] public DateTimeOffset Since { get; init; }

    /// <summary>The version whose write gave the field this value.</summary>
    [Id(3)] public long Version { get; init; }
}
