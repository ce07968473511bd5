using System.Globalization;

namespace Baton.Contracts.Locks;

/// <summary>
/// The resource key of a lock: <c>type:id</c>, 1–256 printable characters, no whitespace. The type is
/// letters, digits, '-', '_' or '.'; the id is any printable non-whitespace text (e.g. <c>repo:acme/web</c>).
/// </summary>
public static class LockKey
{
    /// <summary>The rule <paramref name="key"/> breaks, or null when it is a valid lock key.</summary>
    public static string? Problem(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "a lock key must not be empty (expected type:id, 1–256 characters)";
        }

        if (key.Length > LockLimits.MaxKeyLength)
        {
            return $"a lock key must be at most {LockLimits.MaxKeyLength} characters (it has {key.Length})";
        }

        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsWhiteSpace(c))
            {
                return $"a lock key must not contain whitespace (found at position {i})";
            }

            if (!IsPrintable(key, i))
            {
                return $"a lock key must contain only printable characters (U+{(int)c:X4} at position {i} is not)";
            }

            if (char.IsHighSurrogate(c))
            {
                i++;
            }
        }

        var colon = key.IndexOf(':');
        if (colon < 0)
        {
            return "a lock key must have the form type:id (no ':' found)";
        }

        if (colon == 0)
        {
            return "a lock key must have the form type:id (the type before ':' is empty)";
        }

        if (colon == key.Length - 1)
        {
            return "a lock key must have the form type:id (the id after ':' is empty)";
        }

        for (var i = 0; i < colon; i++)
        {
            var c = key[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return $"the type of a lock key may contain only letters, digits, '-', '_' and '.' ('{c}' at position {i} is not)";
            }
        }

        return null;
    }

    /// <summary>Throws a <see cref="LockRequestException"/> for field <c>Key</c> naming the broken rule.</summary>
    public static void Validate(string? key)
    {
        if (Problem(key) is { } rule)
        {
            throw new LockRequestException("Key", rule);
        }
    }

    public static bool IsValid(string? key) => Problem(key) is null;

    private static bool IsPrintable(string text, int index)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c))
        {
            // A surrogate pair is one printable character when both halves are there and the code point is assigned.
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
