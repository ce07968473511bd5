namespace Baton.Contracts;

/// <summary>
/// Read at most <paramref name="Limit"/> events logged after <paramref name="After"/> whose type matches
/// <paramref name="Types"/> (and namespace and subject, when given).
/// </summary>
/// <param name="After">A cursor the feed handed out (<see cref="FeedCursor"/>).</param>
/// <param name="Types">Type patterns (<see cref="EventTypeFilter"/>); empty means every type.</param>
/// <param name="Limit">1 to <see cref="MaxLimit"/>.</param>
/// <param name="Namespace">Only events of this stream namespace (<see cref="EventNamespaces"/>); null means any.</param>
/// <param name="SubjectPrefix">Only events whose subject starts with this; null means any (see <see cref="FeedFilter"/>).</param>
[GenerateSerializer, Immutable, Alias("baton.feed.query")]
public sealed record FeedQuery(
    [property: Id(0)] string After,
    [property: Id(1)] IReadOnlyList<string> Types,
    [property: Id(2)] int Limit = FeedQuery.DefaultLimit,
    [property: Id(3)] string? Namespace = null,
    [property: Id(4)] string? SubjectPrefix = null)
{
    public const int DefaultLimit = 500;

    public const int MaxLimit = 1000;
}
