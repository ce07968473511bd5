namespace Baton.Contracts;

/// <summary>The answer to a <see cref="FeedQuery"/>.</summary>
/// <param name="Events">Matching events in log order; per subject that is the order they happened in.</param>
/// <param name="Next">The cursor to read on from: the last event's, or further when non-matching events were skipped.</param>
/// <param name="Status">Whether the cursor could be served at all.</param>
/// <param name="Detail">Why the cursor expired, for humans; null when it did not.</param>
[GenerateSerializer, Immutable, Alias("baton.feed.page")]
public sealed record FeedPage(
    [property: Id(0)] IReadOnlyList<FeedEvent> Events,
    [property: Id(1)] string Next,
    [property: Id(2)] FeedCursorStatus Status,
    [property: Id(3)] string? Detail = null)
{
    public bool Expired => Status == FeedCursorStatus.Expired;
}

[GenerateSerializer]
public enum FeedCursorStatus
{
    /// <summary>Every event after the cursor is still in the log: the page continues it without a gap.</summary>
    Current = 0,

    /// <summary>
    /// Events after the cursor were evicted (it is older than the retention window), or the cursor
    /// is ahead of this log (handed out by another one). Re-list the state you follow, then watch
    /// from a fresh cursor.
    /// </summary>
    Expired = 1,
}
