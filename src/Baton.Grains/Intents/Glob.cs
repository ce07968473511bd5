namespace Baton.Grains.Intents;

/// <summary>Glob matching for rules and policies: <c>*</c> is any run of characters (including none and '/'), <c>?</c> one character.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string text, bool ignoreCase = false)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(text);
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                // Let the last '*' swallow one more character and try again from there.
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    public static bool MatchesAny(IEnumerable<string> patterns, string text, bool ignoreCase = false) =>
        patterns.Any(pattern => Matches(pattern, text, ignoreCase));

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));
}
