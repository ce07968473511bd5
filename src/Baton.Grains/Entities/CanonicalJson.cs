using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Contracts.Entities;

namespace Baton.Grains.Entities;

/// <summary>
/// Canonical comparison and text of JSON values: object members are sorted (key order never
/// matters) and numbers are compared by value, so <c>1</c>, <c>1.0</c>, <c>10e-1</c> and <c>1E0</c> are equal,
/// with arbitrary precision (the digits are compared, not a double). Strings, booleans, null,
/// array order and array length compare exactly.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = true };

    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 128 };

    /// <summary>True when the two values are the same JSON value canonically. C# null is JSON null.</summary>
    public static bool Equal(JsonNode? a, JsonNode? b) => ReferenceEquals(a, b) || Text(a) == Text(b);

    /// <summary>The canonical text of a value: sorted members, numbers as <c>[-]digits e exponent</c> without redundant zeros.</summary>
    public static string Text(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses JSON text (duplicate member names are refused); throws <see cref="EntityValidationException"/> for <paramref name="field"/>.</summary>
    public static JsonNode? Parse(string? json, string field)
    {
        if (json is null)
        {
            throw new EntityValidationException(field, "must be JSON text");
        }

        try
        {
            return JsonNode.Parse(json, NodeOptions, DocumentOptions);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException)
        {
            throw new EntityValidationException(field, $"must be valid JSON ({ex.Message})");
        }
    }

    /// <summary>Parses JSON text that must be an object; throws <see cref="EntityValidationException"/> for <paramref name="field"/>.</summary>
    public static JsonObject ParseObject(string? json, string field) =>
        Parse(json, field) as JsonObject ?? throw new EntityValidationException(field, "must be a JSON object");

    /// <summary>The compact JSON text of a value (C# null is <c>null</c>).</summary>
    public static string Write(JsonNode? node) => node?.ToJsonString() ?? "null";

    /// <summary>A number's value as <c>(negative, significant digits, exponent)</c> with no leading or trailing zeros; zero is <c>(false, "0", 0)</c>.</summary>
    public static (bool Negative, string Digits, BigInteger Exponent) NormalizeNumber(string text)
    {
        var negative = text.StartsWith('-');
        var s = negative ? text[1..] : text;
        var e = s.IndexOfAny(['e', 'E']);
        var exponent = e >= 0 ? BigInteger.Parse(s[(e + 1)..].TrimStart('+'), System.Globalization.CultureInfo.InvariantCulture) : BigInteger.Zero;
        var mantissa = e >= 0 ? s[..e] : s;
        var dot = mantissa.IndexOf('.');
        if (dot >= 0)
        {
            exponent -= mantissa.Length - dot - 1;
            mantissa = mantissa.Remove(dot, 1);
        }

        var digits = mantissa.TrimStart('0');
        if (digits.Length == 0)
        {
            return (false, "0", BigInteger.Zero);
        }

        var trimmed = digits.TrimEnd('0');
        exponent += digits.Length - trimmed.Length;
        return (negative, trimmed, exponent);
    }

    /// <summary>True when no number in <paramref name="node"/> is an integer spelled otherwise (<c>2.0</c>, <c>1e3</c>), so <see cref="IntegralNumbersAsIntegers"/> would change nothing and need not copy it.</summary>
    public static bool NumbersArePlain(JsonNode? node) => node switch
    {
        JsonObject obj => obj.All(p => NumbersArePlain(p.Value)),
        JsonArray array => array.All(NumbersArePlain),
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => IsPlainNumber(value.ToJsonString()),
        _ => true,
    };

    // "12", "-3", "1.5" and "1.50" are left as written by IntegralNumbersAsIntegers; "2.0" and anything with an exponent may not be.
    private static bool IsPlainNumber(string text)
    {
        if (text.AsSpan().IndexOfAny('e', 'E') >= 0)
        {
            return false;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 || text[(dot + 1)..].Any(c => c != '0');
    }

    /// <summary>
    /// A copy of <paramref name="node"/> in which every number with no fractional part is written as an
    /// integer (<c>2.0</c> and <c>2e0</c> become <c>2</c>), as JSON Schema's <c>integer</c> type defines it.
    /// Numbers with huge exponents are left as written.
    /// </summary>
    public static JsonNode? IntegralNumbersAsIntegers(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (name, member) in obj)
                {
                    copy[name] = IntegralNumbersAsIntegers(member);
                }

                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(IntegralNumbersAsIntegers)]);
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                var (negative, digits, exponent) = NormalizeNumber(value.ToJsonString());
                return exponent >= 0 && exponent <= 400
                    ? JsonNode.Parse((negative ? "-" : "") + digits + new string('0', (int)exponent))
                    : value.DeepClone();
            default:
                return node?.DeepClone();
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (name, member) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(name);
                    Write(writer, member);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                var value = node.AsValue();
                if (value.GetValueKind() == JsonValueKind.Number)
                {
                    var (negative, digits, exponent) = NormalizeNumber(value.ToJsonString());
                    writer.WriteRawValue($"{(negative ? "-" : "")}{digits}e{exponent}", skipInputValidation: true);
                }
                else
                {
                    value.WriteTo(writer);
                }

                break;
        }
    }
}
