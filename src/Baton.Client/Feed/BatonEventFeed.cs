using System.Runtime.CompilerServices;
using Baton.Contracts;

namespace Baton.Client.Feed;

/// <summary>
/// The resumable change feed for .NET callers, over <see cref="IEventFeedGrain"/>. Keep the
/// <see cref="FeedEvent.Cursor"/> of the last event you handled; pass it back to resume and you
/// get every event after it at least once (de-duplicate by <see cref="EventEnvelope.EventId"/>),
/// in per-subject order.
/// </summary>
public sealed class BatonEventFeed(IGrainFactory grains)
{
    /// <summary>How long a caught-up watch waits before it asks for new events.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Events fetched per call, 1 to <see cref="FeedQuery.MaxLimit"/>.</summary>
    public int PageSize { get; init; } = FeedQuery.DefaultLimit;

    private IEventFeedGrain Feed => grains.GetGrain<IEventFeedGrain>(0);

    /// <summary>The cursor of the newest event: watch from it to get only what happens next.</summary>
    public Task<string> HeadAsync() => Feed.Head();

    /// <summary>One page after <paramref name="after"/>: the events, the cursor to continue from, and whether the cursor expired.</summary>
    public Task<FeedPage> ReadAsync(string after, IReadOnlyList<string>? types = null, int? limit = null)
        => ReadAsync(after, FeedFilter.Of(EventTypeFilter.Parse(types)), limit);

    /// <summary>One page of the events matching <paramref name="filter"/> after <paramref name="after"/>.</summary>
    public Task<FeedPage> ReadAsync(string after, FeedFilter filter, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        FeedCursor.Parse(after, nameof(after));
        return Feed.Read(filter.Query(after, limit ?? PageSize));
    }

    /// <summary>
    /// Every event whose type matches <paramref name="types"/> (exact types or <c>prefix.*</c>;
    /// none means all) logged after <paramref name="after"/>, or from now when it is null, then
    /// new ones as they are logged, until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <exception cref="CursorExpiredException">The cursor is older than the retention window: re-list, then watch from now.</exception>
    /// <exception cref="ArgumentException">The cursor or a type pattern is malformed.</exception>
    public IAsyncEnumerable<FeedEvent> WatchAsync(IReadOnlyList<string>? types, string? after, CancellationToken cancellationToken = default)
        => WatchAsync(FeedFilter.Of(EventTypeFilter.Parse(types)), after, cancellationToken);

    /// <summary>
    /// As <see cref="WatchAsync(IReadOnlyList{string}?, string?, CancellationToken)"/> for the events matching
    /// <paramref name="filter"/>: e.g. <see cref="FeedFilter.EntityKind"/> for one kind's entity changes.
    /// </summary>
    /// <exception cref="CursorExpiredException">The cursor is older than the retention window: re-list, then watch from now.</exception>
    /// <exception cref="ArgumentException">The cursor is malformed.</exception>
    public async IAsyncEnumerable<FeedEvent> WatchAsync(
        FeedFilter filter,
        string? after,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (after is not null)
        {
            FeedCursor.Parse(after, nameof(after));
        }

        var cursor = after ?? await Feed.Head();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await Feed.Read(filter.Query(cursor, PageSize));
            if (page.Expired)
            {
                throw new CursorExpiredException(cursor, page.Detail);
            }

            foreach (var e in page.Events)
            {
                yield return e;
            }

            cursor = page.Next;
            if (page.Events.Count < PageSize)
            {
                await Task.Delay(PollInterval, cancellationToken);
            }
        }
    }
}
