using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Baton.Contracts;

/// <summary>
/// A position in the event log, as clients see it. Clients treat a cursor as opaque; today it is
/// the log position in decimal (<c>"1234"</c>), so "0" is "before the first event ever logged".
/// </summary>
public static class FeedCursor
{
    /// <summary>The cursor before the first event ever logged.</summary>
    public const string Start = "0";

    public static string Format(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        return position.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>True when <paramref name="cursor"/> is 1–19 ASCII digits that fit a non-negative long.</summary>
    public static bool TryParse([NotNullWhen(true)] string? cursor, out long position)
    {
        position = 0;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 19 || !cursor.All(char.IsAsciiDigit))
        {
            return false;
        }

        return long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out position);
    }

    /// <exception cref="ArgumentException">Not a cursor this feed hands out.</exception>
    public static long Parse(string cursor, string parameterName = "after")
        => TryParse(cursor, out var position)
            ? position
            : throw new ArgumentException($"'{Shorten(cursor)}' is not a feed cursor (expected a cursor the feed handed out, e.g. an SSE id).", parameterName);

    internal static string Shorten(string? value) => value is null ? "" : value.Length <= 40 ? value : value[..40] + "…";
}
