using System.Text.Json.Nodes;

namespace Baton.Grains.Entities;

/// <summary>
/// One top-level field whose value differs between two states. <see cref="HadFrom"/> / <see cref="HasTo"/>
/// tell an absent field from one holding JSON null (whose node is C# null).
/// </summary>
public sealed record FieldChange(string Field, bool HadFrom, JsonNode? From, bool HasTo, JsonNode? To)
{
    public bool Added => !HadFrom && HasTo;

    public bool Removed => HadFrom && !HasTo;
}

/// <summary>What changed between two entity states, field by field.</summary>
public static class StateDiff
{
    /// <summary>
    /// The top-level fields that were added, removed or changed from <paramref name="prev"/> to
    /// <paramref name="next"/> (null: no state), in ordinal field order. Values are compared with
    /// <see cref="CanonicalJson.Equal"/>: nested key order does not matter and numbers compare by value
    /// (<c>1</c> equals <c>1.0</c>), so rewriting a value in another spelling is no change. The nodes in the
    /// result belong to the inputs; clone them before attaching them elsewhere.
    /// </summary>
    public static IReadOnlyList<FieldChange> TopLevel(JsonObject? prev, JsonObject? next)
    {
        var changes = new List<FieldChange>();
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (prev is not null)
        {
            foreach (var (name, _) in prev)
            {
                names.Add(name);
            }
        }

        if (next is not null)
        {
            foreach (var (name, _) in next)
            {
                names.Add(name);
            }
        }

        foreach (var name in names)
        {
            JsonNode? from = null;
            JsonNode? to = null;
            var hadFrom = prev is not null && prev.TryGetPropertyValue(name, out from);
            var hasTo = next is not null && next.TryGetPropertyValue(name, out to);
            if (hadFrom != hasTo || !CanonicalJson.Equal(from, to))
            {
                changes.Add(new FieldChange(name, hadFrom, from, hasTo, to));
            }
        }

        return changes;
    }
}
