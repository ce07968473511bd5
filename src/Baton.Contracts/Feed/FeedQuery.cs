namespace Baton.Contracts;

/// <summary>Read at most <paramref name="Limit"/> events logged after <paramref name="After"/> whose type matches <paramref name="Types"/>.</summary>
/// <param name="After">A cursor the feed handed out (<see cref="FeedCursor"/>).</param>
/// <param name="Types">Type patterns (<see cref="EventTypeFilter"/>); empty means every type.</param>
/// <param name="Limit">1 to <see cref="MaxLimit"/>.</param>
[GenerateSerializer, Immutable, Alias("baton.feed.query")]
public sealed record FeedQuery(
    [property: Id(0)] string After,
    [property: Id(1)] IReadOnlyList<string> Types,
    [property: Id(2)] int Limit = FeedQuery.DefaultLimit)
{
    public const int DefaultLimit = 500;

    public const int MaxLimit = 1000;
}
