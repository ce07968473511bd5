using Baton.Contracts;

namespace Baton.Grains.Feed;

/// <summary>
/// Baton's append-only event log: every event of the <see cref="EventNamespaces"/> streams, each at
/// a global position that only grows. Positions may have gaps; what a reader sees is always a
/// prefix of the log (no event becomes visible behind one already read), so "everything after
/// position p" never silently misses an event. Events are evicted oldest first, after the
/// retention window, and the log remembers how far it evicted so a stale cursor is detected.
/// </summary>
public interface IEventLog
{
    /// <summary>
    /// Appends the events in order, each once: an event whose <see cref="EventEnvelope.EventId"/>
    /// is already in the log is skipped (redeliveries). Completes when they are durable and readable.
    /// </summary>
    Task AppendAsync(IReadOnlyList<LogAppend> events, CancellationToken cancellationToken = default);

    /// <summary>At most <paramref name="limit"/> events after position <paramref name="after"/> that match <paramref name="filter"/>, in position order.</summary>
    Task<EventLogPage> ReadAsync(long after, FeedFilter filter, int limit, CancellationToken cancellationToken = default);

    /// <summary>How far the log was evicted and how far it reaches now.</summary>
    Task<EventLogBounds> BoundsAsync(CancellationToken cancellationToken = default);

    /// <summary>Evicts the oldest events, those appended before <paramref name="appendedBefore"/> (a prefix of the log). Returns how many.</summary>
    Task<long> EvictAsync(DateTimeOffset appendedBefore, CancellationToken cancellationToken = default);
}

/// <summary>An event to log, with the stream namespace it travels on.</summary>
/// <param name="Queue">
/// The stream queue that delivers the event to subscribers (Postgres mode, where the log is the stream queue);
/// null for an event that is only logged.
/// </param>
/// <param name="StreamKey">The key of the event's stream when it is not the event's subject.</param>
public readonly record struct LogAppend(string Namespace, EventEnvelope Envelope, int? Queue = null, string? StreamKey = null);

/// <summary>A logged event.</summary>
public sealed record EventLogEntry(long Position, string Namespace, EventEnvelope Envelope);

/// <param name="EvictedThrough">Every position up to and including this one was evicted (0: none).</param>
/// <param name="Head">The highest position ever logged, or <paramref name="EvictedThrough"/> when higher (0: nothing yet).</param>
public readonly record struct EventLogBounds(long EvictedThrough, long Head);

/// <param name="Entries">The matching events read, in position order.</param>
/// <param name="ScannedThrough">
/// The position the read covered: the last entry's when the page is full, otherwise the head the
/// read saw (non-matching events up to it were skipped). Continue after it.
/// </param>
/// <param name="Bounds">The log's bounds as the read saw them.</param>
public sealed record EventLogPage(IReadOnlyList<EventLogEntry> Entries, long ScannedThrough, EventLogBounds Bounds)
{
    /// <summary>
    /// True when a reader at <paramref name="after"/> may have missed events: some after it were
    /// evicted, or it is beyond this log's head (a cursor from another log, or from before a reset).
    /// </summary>
    public static bool IsExpired(long after, EventLogBounds bounds) => after < bounds.EvictedThrough || after > bounds.Head;
}
