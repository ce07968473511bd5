using Baton.Contracts;
using Orleans.Concurrency;

namespace Baton.Grains.Feed;

/// <summary>Serves feed pages from the silo's <see cref="IEventLog"/>; every silo can answer, so it runs locally.</summary>
[StatelessWorker]
public sealed class EventFeedGrain(IEventLog log) : Grain, IEventFeedGrain
{
    public async Task<FeedPage> Read(FeedQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var after = FeedCursor.Parse(query.After);
        var filter = FeedFilter.Of(query);
        if (query.Limit is < 1 or > FeedQuery.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.Limit, $"Limit must be between 1 and {FeedQuery.MaxLimit}.");
        }

        var page = await log.ReadAsync(after, filter, query.Limit);
        if (EventLogPage.IsExpired(after, page.Bounds))
        {
            return new FeedPage([], query.After, FeedCursorStatus.Expired, ExpiredDetail(after, page.Bounds));
        }

        return new FeedPage(
            [.. page.Entries.Select(e => new FeedEvent(FeedCursor.Format(e.Position), e.Namespace, e.Envelope))],
            FeedCursor.Format(page.ScannedThrough),
            FeedCursorStatus.Current);
    }

    public async Task<string> Head() => FeedCursor.Format((await log.BoundsAsync()).Head);

    internal static string ExpiredDetail(long after, EventLogBounds bounds) => after > bounds.Head
        ? $"cursor {after} is ahead of this event log (its newest position is {bounds.Head}): it comes from another log or from before a reset."
        : $"events after cursor {after} were evicted (the log keeps positions after {bounds.EvictedThrough}).";
}
