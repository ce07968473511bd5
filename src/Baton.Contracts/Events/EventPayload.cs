using System.Text.Json;

namespace Baton.Contracts;

/// <summary>Writes and reads <see cref="EventEnvelope.Payload"/> with the web JSON conventions (camelCase).</summary>
public static class EventPayload
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>The payload of an event that carries no data.</summary>
    public const string Empty = "{}";

    public static string From<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Read<T>(EventEnvelope envelope) => JsonSerializer.Deserialize<T>(envelope.Payload, Options);

    /// <summary>True when <paramref name="json"/> is one complete JSON value.</summary>
    public static bool IsJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
