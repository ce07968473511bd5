using System.Diagnostics.CodeAnalysis;
using Baton.Contracts.Entities;

namespace Baton.Contracts;

/// <summary>
/// Which logged events a feed reader wants: the event types (<see cref="EventTypeFilter"/>), and
/// optionally only one stream namespace (<see cref="EventNamespaces"/>) and only subjects starting with
/// a prefix. <see cref="EntityKind"/> is the filter of <c>GET /entities/{kind}/watch</c>.
/// </summary>
public sealed class FeedFilter
{
    public const int MaxSubjectPrefixLength = 1024;

    private FeedFilter(EventTypeFilter types, string? ns, string? subjectPrefix)
    {
        Types = types;
        Namespace = ns;
        SubjectPrefix = subjectPrefix;
    }

    /// <summary>Every event.</summary>
    public static FeedFilter All { get; } = new(EventTypeFilter.All, null, null);

    public EventTypeFilter Types { get; }

    /// <summary>Only events published on this stream namespace; null means any.</summary>
    public string? Namespace { get; }

    /// <summary>Only events whose subject starts with this (ordinal); null means any.</summary>
    public string? SubjectPrefix { get; }

    public bool MatchesAll => Types.MatchesAll && Namespace is null && SubjectPrefix is null;

    public bool Matches(string ns, EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return (Namespace is null || string.Equals(ns, Namespace, StringComparison.Ordinal))
            && (SubjectPrefix is null || envelope.Subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
            && Types.Matches(envelope.Type);
    }

    /// <summary>
    /// The events of one kind's entities: namespace <c>entities</c>, subject <c>kind/…</c>. That is every
    /// <c>entity.changed</c> of the kind and its derived events (<c>kind.created</c>, <c>kind.status.failed</c>, …);
    /// <paramref name="types"/> narrows it further.
    /// </summary>
    /// <exception cref="EntityValidationException">The kind is malformed.</exception>
    public static FeedFilter EntityKind(string kind, EventTypeFilter? types = null)
    {
        EntityKey.ValidateKind(kind);
        return new FeedFilter(types ?? EventTypeFilter.All, EventNamespaces.Entities, kind + "/");
    }

    /// <summary>A filter of <paramref name="types"/>, optionally one namespace and a subject prefix (empty means none).</summary>
    public static bool TryCreate(
        EventTypeFilter types,
        string? ns,
        string? subjectPrefix,
        [NotNullWhen(true)] out FeedFilter? filter,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(types);
        filter = null;
        ns = string.IsNullOrEmpty(ns) ? null : ns;
        subjectPrefix = string.IsNullOrEmpty(subjectPrefix) ? null : subjectPrefix;
        if (ns is not null && !EventNamespaces.All.Contains(ns, StringComparer.Ordinal))
        {
            error = $"'{FeedCursor.Shorten(ns)}' is not an event namespace (one of: {string.Join(", ", EventNamespaces.All)}).";
            return false;
        }

        if (subjectPrefix is not null && subjectPrefix.Length > MaxSubjectPrefixLength)
        {
            error = $"a subject prefix must be at most {MaxSubjectPrefixLength} characters.";
            return false;
        }

        error = null;
        filter = new FeedFilter(types, ns, subjectPrefix);
        return true;
    }

    /// <summary>The filter a <see cref="FeedQuery"/> asks for.</summary>
    /// <exception cref="ArgumentException">A type pattern, the namespace or the subject prefix is malformed.</exception>
    public static FeedFilter Of(FeedQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Of(EventTypeFilter.Parse(query.Types), query.Namespace, query.SubjectPrefix);
    }

    /// <exception cref="ArgumentException">The namespace or the subject prefix is malformed.</exception>
    public static FeedFilter Of(EventTypeFilter types, string? ns = null, string? subjectPrefix = null)
        => TryCreate(types, ns, subjectPrefix, out var filter, out var error) ? filter : throw new ArgumentException(error, nameof(subjectPrefix));

    /// <summary>The query for a page of this filter's events after <paramref name="after"/>.</summary>
    public FeedQuery Query(string after, int limit = FeedQuery.DefaultLimit) => new(after, Types.Patterns, limit, Namespace, SubjectPrefix);

    public override string ToString() =>
        MatchesAll ? "*" : $"{Types}{(Namespace is null ? "" : $" in {Namespace}")}{(SubjectPrefix is null ? "" : $" subject {SubjectPrefix}*")}";
}
