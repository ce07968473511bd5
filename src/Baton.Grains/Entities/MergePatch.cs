using System.Text.Json.Nodes;

namespace Baton.Grains.Entities;

/// <summary>JSON merge patch, RFC 7386, on System.Text.Json nodes. Neither input is modified.</summary>
public static class MergePatch
{
    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="target"/> and returns the result: an object patch
    /// merges member by member (a null member deletes, an object member merges recursively, anything else
    /// replaces), and a non-object patch (including null) replaces the target whole. C# null is JSON null.
    /// </summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result.TryGetPropertyValue(name, out var current);
                var merged = Apply(current, value);
                result[name] = merged;
            }
        }

        return result;
    }
}
