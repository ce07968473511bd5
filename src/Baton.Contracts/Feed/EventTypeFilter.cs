using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Baton.Contracts;

/// <summary>
/// Which event types a feed reader wants: exact types (<c>entity.changed</c>), prefixes
/// (<c>lock.*</c> matches <c>lock.acquired</c> and <c>lock.lease.expired</c>, not <c>locks.x</c>),
/// or <c>*</c>. No patterns means every type.
/// </summary>
public sealed partial class EventTypeFilter
{
    public const int MaxPatterns = 50;

    private EventTypeFilter(IReadOnlyList<string> patterns, IReadOnlyList<string> exact, IReadOnlyList<string> prefixes, bool all)
    {
        Patterns = patterns;
        Exact = exact;
        Prefixes = prefixes;
        MatchesAll = all;
    }

    public static EventTypeFilter All { get; } = new([], [], [], all: true);

    /// <summary>The patterns as given, without duplicates.</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>Types matched exactly.</summary>
    public IReadOnlyList<string> Exact { get; }

    /// <summary>Type prefixes, each ending with '.', from the <c>prefix.*</c> patterns.</summary>
    public IReadOnlyList<string> Prefixes { get; }

    public bool MatchesAll { get; }

    public bool Matches(string type)
    {
        if (MatchesAll)
        {
            return true;
        }

        foreach (var exact in Exact)
        {
            if (string.Equals(type, exact, StringComparison.Ordinal))
            {
                return true;
            }
        }

        foreach (var prefix in Prefixes)
        {
            if (type.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a comma-separated list (the HTTP <c>types</c> parameter); null or blank means every type.</summary>
    public static bool TryParse(string? commaSeparated, [NotNullWhen(true)] out EventTypeFilter? filter, [NotNullWhen(false)] out string? error)
        => TryParse(
            string.IsNullOrWhiteSpace(commaSeparated) ? [] : commaSeparated.Split(',', StringSplitOptions.TrimEntries),
            out filter,
            out error);

    public static bool TryParse(IEnumerable<string>? patterns, [NotNullWhen(true)] out EventTypeFilter? filter, [NotNullWhen(false)] out string? error)
    {
        filter = null;
        var given = new List<string>();
        var exact = new List<string>();
        var prefixes = new List<string>();
        var all = false;
        foreach (var pattern in patterns ?? [])
        {
            if (given.Contains(pattern, StringComparer.Ordinal))
            {
                continue;
            }

            if (pattern == "*")
            {
                all = true;
            }
            else if (!Pattern().IsMatch(pattern))
            {
                error = $"'{FeedCursor.Shorten(pattern)}' is not an event type pattern: use a type such as 'entity.changed', a prefix such as 'lock.*', or '*'.";
                return false;
            }
            else if (pattern.EndsWith(".*", StringComparison.Ordinal))
            {
                prefixes.Add(pattern[..^1]);
            }
            else
            {
                exact.Add(pattern);
            }

            given.Add(pattern);
            if (given.Count > MaxPatterns)
            {
                error = $"at most {MaxPatterns} type patterns are allowed.";
                return false;
            }
        }

        error = null;
        filter = new EventTypeFilter(given, exact, prefixes, all || given.Count == 0);
        return true;
    }

    /// <exception cref="ArgumentException">A pattern is malformed.</exception>
    public static EventTypeFilter Parse(IEnumerable<string>? patterns)
        => TryParse(patterns, out var filter, out var error) ? filter : throw new ArgumentException(error, "types");

    public override string ToString() => MatchesAll ? "*" : string.Join(',', Patterns);

    // Lower-case dot-separated segments of letters, digits, '_' and '-', optionally ending in ".*".
    [GeneratedRegex(@"^[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
