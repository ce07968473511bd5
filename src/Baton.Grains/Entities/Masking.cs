using System.Text.Json.Nodes;

namespace Baton.Grains.Entities;

/// <summary>
/// Hides secrets before a value reaches history, an event or a log. Two sources: the kind's secret
/// fields (a top-level name or a dotted path into nested objects), whose values become <c>"***"</c>
/// whatever their type; and the secrets registered for the run that made the write, which are
/// replaced by <c>***</c> wherever they occur in any string value (a value equal to a secret becomes
/// exactly <c>"***"</c>). Only the caller's own reads (<c>Get</c>, the mutate result) see real values.
/// </summary>
public sealed class Masking
{
    public const string Mask = "***";

    public static readonly Masking None = new([], []);

    private readonly HashSet<string> _topLevel;
    private readonly string[][] _paths;
    private readonly string[] _secrets;

    public Masking(IEnumerable<string> secretFields, IEnumerable<string> runSecrets)
    {
        ArgumentNullException.ThrowIfNull(secretFields);
        ArgumentNullException.ThrowIfNull(runSecrets);
        var fields = secretFields.Where(f => !string.IsNullOrEmpty(f)).Distinct(StringComparer.Ordinal).ToArray();
        _topLevel = fields.Where(f => !f.Contains('.')).ToHashSet(StringComparer.Ordinal);
        _paths = [.. fields.Where(f => f.Contains('.')).Select(f => f.Split('.'))];

        // Longest first, so a secret that contains a shorter one is replaced whole.
        _secrets = [.. runSecrets.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
    }

    /// <summary>True when <paramref name="field"/> is a top-level secret field (its whole value is masked).</summary>
    public bool IsSecretField(string field) => _topLevel.Contains(field);

    /// <summary>A masked copy of a whole state (null stays null). The input is not modified.</summary>
    public JsonObject? State(JsonObject? state)
    {
        if (state is null)
        {
            return null;
        }

        var copy = new JsonObject();
        foreach (var (name, value) in state)
        {
            copy[name] = Field(name, value);
        }

        return copy;
    }

    /// <summary>A masked copy of the value of top-level field <paramref name="field"/>.</summary>
    public JsonNode? Field(string field, JsonNode? value)
    {
        if (_topLevel.Contains(field))
        {
            return JsonValue.Create(Mask);
        }

        var copy = Strings(value?.DeepClone());
        foreach (var path in _paths)
        {
            if (path[0] == field)
            {
                MaskPath(copy, path, 1);
            }
        }

        return copy;
    }

    /// <summary>Text for a log line or message with every run secret replaced by <c>***</c>.</summary>
    public string Text(string text)
    {
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    private JsonNode? Strings(JsonNode? node)
    {
        if (_secrets.Length == 0)
        {
            return node;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToArray())
                {
                    var member = obj[name];
                    var masked = Strings(member);
                    if (!ReferenceEquals(masked, member))
                    {
                        obj[name] = masked;
                    }
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    var masked = Strings(item);
                    if (!ReferenceEquals(masked, item))
                    {
                        array[i] = masked;
                    }
                }

                return array;
            case JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var text = value.GetValue<string>();
                var replaced = Text(text);
                return replaced == text ? value : JsonValue.Create(replaced);
            default:
                return node;
        }
    }

    private static void MaskPath(JsonNode? node, string[] path, int depth)
    {
        if (node is not JsonObject obj || !obj.ContainsKey(path[depth]))
        {
            return;
        }

        if (depth == path.Length - 1)
        {
            obj[path[depth]] = JsonValue.Create(Mask);
        }
        else
        {
            MaskPath(obj[path[depth]], path, depth + 1);
        }
    }
}
