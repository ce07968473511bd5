using Baton.Contracts.Entities;

namespace Baton.Grains.Entities;

/// <summary>
/// How much field history an entity keeps (configuration <c>Baton:Entities:History</c>). Every
/// top-level field is recorded, however many there are. Retention is per entity: transitions older
/// than <see cref="MaxAge"/> and, beyond <see cref="MaxTransitions"/>, the oldest ones are dropped,
/// except that the latest transition of every field is always kept, so <c>InStateSince</c> answers for
/// every field however old its value is (the entity's state also carries each field's latest transition).
/// Defaults: no age limit, the newest 10,000 transitions.
/// </summary>
/// <remarks>
/// History lives in the <see cref="IEntityHistoryStore"/> (table <c>baton_entity_history</c> in Postgres mode),
/// not in the entity's state, so its length does not weigh on writes. Retention is applied to the store by the
/// entity itself, in the background, after every <see cref="PruneEvery"/>th version: between two prunings an
/// entity's history can hold up to <see cref="PruneEvery"/> versions' worth of transitions beyond the limits.
/// </remarks>
public sealed class EntityHistoryOptions
{
    /// <summary>Transitions older than this are dropped; null keeps them regardless of age.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>At most this many transitions are kept (plus each field's latest); null for no count limit.</summary>
    public int? MaxTransitions { get; set; } = 10_000;

    /// <summary>Retention (and forgetting old remembered answers) runs when an entity reaches a version that is a multiple of this (values below 1 count as 1).</summary>
    public int PruneEvery { get; set; } = 1_000;
}

/// <summary>
/// Field-level history of one entity as a list: append with retention, query, and the time-in-state
/// questions, all computed from the transitions against a given <c>now</c>. Transitions are kept in
/// version order (oldest first). The in-memory history store keeps its rows this way; the PostgreSQL
/// store answers the same questions in SQL.
/// </summary>
public static class EntityHistory
{
    /// <summary>
    /// Records <paramref name="added"/> in <paramref name="latest"/>, which holds one transition per field in ordinal
    /// field order: each added transition replaces its field's.
    /// </summary>
    public static void SetLatest(List<FieldTransition> latest, IEnumerable<FieldTransition> added)
    {
        ArgumentNullException.ThrowIfNull(latest);
        ArgumentNullException.ThrowIfNull(added);
        foreach (var transition in added)
        {
            var at = IndexOf(latest, transition.Field);
            if (at >= 0)
            {
                latest[at] = transition;
            }
            else
            {
                latest.Insert(~at, transition);
            }
        }
    }

    /// <summary>The latest transition of <paramref name="field"/> in a list kept by <see cref="SetLatest"/>, or null.</summary>
    public static FieldSince? Since(IReadOnlyList<FieldTransition> latest, string field)
    {
        ArgumentNullException.ThrowIfNull(latest);
        var at = IndexOf(latest, field);
        return at < 0 ? null : new FieldSince { Field = field, Value = latest[at].To, Since = latest[at].At, Version = latest[at].Version };
    }

    private static int IndexOf(IReadOnlyList<FieldTransition> latest, string field)
    {
        int low = 0, high = latest.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = string.CompareOrdinal(latest[middle].Field, field);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }

    /// <summary>Appends <paramref name="added"/> (already masked) and applies the retention of <paramref name="options"/>.</summary>
    public static void Append(List<FieldTransition> history, IEnumerable<FieldTransition> added, DateTimeOffset now, EntityHistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(options);
        history.AddRange(added);
        Prune(history, now, options);
    }

    /// <summary>Drops what retention allows to drop; never a field's latest transition.</summary>
    public static void Prune(List<FieldTransition> history, DateTimeOffset now, EntityHistoryOptions options)
    {
        if (options.MaxAge is { } age)
        {
            var cutoff = now - age;
            Drop(history, (t, _) => t.At < cutoff);
        }

        if (options.MaxTransitions is { } max && history.Count > max)
        {
            // Oldest first; the count of droppable transitions is never reached when every field's latest must stay.
            var excess = history.Count - max;
            Drop(history, (_, _) => excess-- > 0);
        }
    }

    private static void Drop(List<FieldTransition> history, Func<FieldTransition, int, bool> droppable)
    {
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < history.Count; i++)
        {
            latest[history[i].Field] = i;
        }

        var kept = new List<FieldTransition>(history.Count);
        for (var i = 0; i < history.Count; i++)
        {
            var transition = history[i];
            if (latest[transition.Field] == i || !droppable(transition, i))
            {
                kept.Add(transition);
            }
        }

        if (kept.Count != history.Count)
        {
            history.Clear();
            history.AddRange(kept);
        }
    }

    /// <summary>Transitions newest first, of <paramref name="field"/> when given, at or after <paramref name="since"/> when given, at most <paramref name="limit"/>.</summary>
    public static IReadOnlyList<FieldTransition> Query(IReadOnlyList<FieldTransition> history, string? field, DateTimeOffset? since, int limit)
    {
        ValidateLimit(limit);

        var result = new List<FieldTransition>(Math.Min(limit, history.Count));
        for (var i = history.Count - 1; i >= 0 && result.Count < limit; i--)
        {
            var transition = history[i];
            if (since is { } s && transition.At < s)
            {
                break;
            }

            if (field is null || transition.Field == field)
            {
                result.Add(transition);
            }
        }

        return result;
    }

    /// <summary>Throws <see cref="EntityValidationException"/> unless <paramref name="limit"/> is a valid history limit (1 to <see cref="EntityLimits.MaxHistoryLimit"/>).</summary>
    public static void ValidateLimit(int limit)
    {
        if (limit is < 1 or > EntityLimits.MaxHistoryLimit)
        {
            throw new EntityValidationException("Limit", $"must be between 1 and {EntityLimits.MaxHistoryLimit} (it is {limit})");
        }
    }

    /// <summary>Since when <paramref name="field"/> has had its current value (its latest transition); null when it never changed.</summary>
    public static FieldSince? InStateSince(IReadOnlyList<FieldTransition> history, string field)
    {
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var transition = history[i];
            if (transition.Field == field)
            {
                return new FieldSince { Field = field, Value = transition.To, Since = transition.At, Version = transition.Version };
            }
        }

        return null;
    }

    /// <summary>How long <paramref name="field"/> has had its current value at <paramref name="now"/>; null when it never changed.</summary>
    public static TimeSpan? InStateFor(IReadOnlyList<FieldTransition> history, string field, DateTimeOffset now) =>
        InStateSince(history, field) is { } since ? now - since.Since : null;

    /// <summary>
    /// How many transitions of <paramref name="field"/> happened in the window <c>[now - window, now]</c>.
    /// Windows reaching past the retention limit count only what is still kept.
    /// </summary>
    public static int TransitionCount(IReadOnlyList<FieldTransition> history, string field, TimeSpan window, DateTimeOffset now)
    {
        if (window < TimeSpan.Zero)
        {
            throw new EntityValidationException("Window", "must not be negative");
        }

        var from = now - window;
        var count = 0;
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var transition = history[i];
            if (transition.At < from)
            {
                break;
            }

            if (transition.Field == field && transition.At <= now)
            {
                count++;
            }
        }

        return count;
    }
}
