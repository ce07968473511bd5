using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Baton.Contracts.Intents;

/// <summary>
/// The derived idempotency key of a write: the lowercase hex SHA-256 of the UTF-8 canonical JSON of
/// <c>{ "interface_key", "operation", "payload", "resource_ref" }</c>, where the payload is embedded as a JSON value.
/// </summary>
/// <remarks>
/// Canonical JSON here: object members sorted by name at every level (ordinal, i.e. UTF-16 code unit order, as in
/// RFC 8785), no whitespace between tokens, strings written with the fewest escapes (only <c>"</c>, <c>\</c> and
/// control characters; <c>\b \f \n \r \t</c> by name, the rest as <c>\u00xx</c> lower case; everything else literal),
/// <c>true</c>, <c>false</c>, <c>null</c>, and numbers exactly as written. Numbers are not normalised on purpose:
/// the payload is sent as written, a receiver may tell <c>1</c> from <c>1.0</c>, and a key that tells them apart
/// never merges two different writes; it also keeps the key reproducible in any language without a decimal library.
/// Duplicate member names are refused, since readers disagree about which one wins.
/// </remarks>
public static class IdempotencyKey
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    public static string For(string interfaceKey, string operation, string resourceRef, string payload) =>
        Hash(Canonical(interfaceKey, operation, resourceRef, payload));

    /// <summary>The canonical JSON text the key is the hash of.</summary>
    public static string Canonical(string interfaceKey, string operation, string resourceRef, string payload)
    {
        ArgumentNullException.ThrowIfNull(interfaceKey);
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(resourceRef);
        var text = new StringBuilder(payload?.Length + 128 ?? 128);
        text.Append("{\"interface_key\":");
        WriteString(text, interfaceKey);
        text.Append(",\"operation\":");
        WriteString(text, operation);
        text.Append(",\"payload\":");
        using (var document = Parse(payload))
        {
            WriteValue(text, document.RootElement);
        }

        text.Append(",\"resource_ref\":");
        WriteString(text, resourceRef);
        text.Append('}');
        return text.ToString();
    }

    /// <summary>The canonical text of one JSON value; throws <see cref="IntentValidationException"/> for field <c>Payload</c>.</summary>
    public static string CanonicalPayload(string? payload)
    {
        using var document = Parse(payload);
        var text = new StringBuilder();
        WriteValue(text, document.RootElement);
        return text.ToString();
    }

    public static string Hash(string canonical) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    private static JsonDocument Parse(string? payload)
    {
        if (payload is null)
        {
            throw new IntentValidationException(nameof(ProposeRequest.Payload), "must be JSON text");
        }

        try
        {
            return JsonDocument.Parse(payload, DocumentOptions);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new IntentValidationException(nameof(ProposeRequest.Payload), $"must be valid JSON without duplicate member names ({ex.Message})");
        }
    }

    private static void WriteValue(StringBuilder text, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append('{');
                var first = true;
                foreach (var member in element.EnumerateObject().OrderBy(m => m.Name, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        text.Append(',');
                    }

                    first = false;
                    WriteString(text, member.Name);
                    text.Append(':');
                    WriteValue(text, member.Value);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (index++ > 0)
                    {
                        text.Append(',');
                    }

                    WriteValue(text, item);
                }

                text.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(text, element.GetString()!);
                break;
            case JsonValueKind.Number:
                text.Append(element.GetRawText());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            default:
                text.Append("null");
                break;
        }
    }

    private static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\b':
                    text.Append("\\b");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case < ' ':
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }

        text.Append('"');
    }
}
