using System.Globalization;

namespace Baton.Contracts.Entities;

/// <summary>
/// The keys of the entity grains. A kind is 1–64 characters of lowercase ASCII letters, digits,
/// '-' and '.' (<c>deployment</c>, <c>catalog.item</c>). An entity is keyed <c>kind/id</c>, where the id is
/// 1–200 printable characters (spaces and '/' allowed; control, format, private-use and unassigned
/// characters not). The key is split at its first '/', which a kind can never contain.
/// </summary>
public static class EntityKey
{
    /// <summary>The rule <paramref name="kind"/> breaks, or null when it is a valid kind.</summary>
    public static string? KindProblem(string? kind)
    {
        if (string.IsNullOrEmpty(kind))
        {
            return "a kind must not be empty (1–64 lowercase letters, digits, '-' or '.')";
        }

        if (kind.Length > EntityLimits.MaxKindLength)
        {
            return $"a kind must be at most {EntityLimits.MaxKindLength} characters (it has {kind.Length})";
        }

        for (var i = 0; i < kind.Length; i++)
        {
            var c = kind[i];
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            {
                return $"a kind may contain only lowercase letters, digits, '-' and '.' ('{Show(c)}' at position {i} is not)";
            }
        }

        return null;
    }

    /// <summary>The rule <paramref name="id"/> breaks, or null when it is a valid entity id.</summary>
    public static string? IdProblem(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "an entity id must not be empty (1–200 printable characters)";
        }

        // Counted in Unicode code points, so an emoji is one character, not two UTF-16 units.
        var length = id.EnumerateRunes().Count();
        if (length > EntityLimits.MaxIdLength)
        {
            return $"an entity id must be at most {EntityLimits.MaxIdLength} characters (it has {length})";
        }

        for (var i = 0; i < id.Length; i++)
        {
            if (!IsPrintable(id, i))
            {
                return $"an entity id must contain only printable characters (U+{(int)id[i]:X4} at position {i} is not)";
            }

            if (char.IsHighSurrogate(id[i]))
            {
                i++;
            }
        }

        return null;
    }

    /// <summary>The rule the grain key <paramref name="key"/> (<c>kind/id</c>) breaks, or null when it is valid.</summary>
    public static string? KeyProblem(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "an entity key must not be empty (expected kind/id)";
        }

        var slash = key.IndexOf('/');
        if (slash < 0)
        {
            return "an entity key must have the form kind/id (no '/' found)";
        }

        return KindProblem(key[..slash]) ?? IdProblem(key[(slash + 1)..]);
    }

    /// <summary>The key of entity <paramref name="id"/> of <paramref name="kind"/>; throws <see cref="EntityValidationException"/> when either is invalid.</summary>
    public static string Compose(string kind, string id)
    {
        ValidateKind(kind);
        if (IdProblem(id) is { } rule)
        {
            throw new EntityValidationException("Id", rule);
        }

        return $"{kind}/{id}";
    }

    /// <summary>Splits a <c>kind/id</c> key; throws <see cref="EntityValidationException"/> for field <c>Key</c> when it is invalid.</summary>
    public static (string Kind, string Id) Parse(string? key)
    {
        if (KeyProblem(key) is { } rule)
        {
            throw new EntityValidationException("Key", rule);
        }

        var slash = key!.IndexOf('/');
        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>Throws <see cref="EntityValidationException"/> for field <c>Kind</c> naming the broken rule.</summary>
    public static void ValidateKind(string? kind)
    {
        if (KindProblem(kind) is { } rule)
        {
            throw new EntityValidationException("Kind", rule);
        }
    }

    public static bool IsValidKind(string? kind) => KindProblem(kind) is null;

    public static bool IsValidKey(string? key) => KeyProblem(key) is null;

    private static string Show(char c) => char.IsControl(c) ? $"U+{(int)c:X4}" : c.ToString();

    private static bool IsPrintable(string text, int index)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c))
        {
            return index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])
                && IsPrintableCategory(CharUnicodeInfo.GetUnicodeCategory(text, index));
        }

        return !char.IsLowSurrogate(c) && IsPrintableCategory(CharUnicodeInfo.GetUnicodeCategory(c));
    }

    private static bool IsPrintableCategory(UnicodeCategory category) => category is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
        or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);
}
