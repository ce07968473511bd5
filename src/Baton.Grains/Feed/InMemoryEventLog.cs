using Baton.Contracts;

namespace Baton.Grains.Feed;

/// <summary>
/// The dev-mode event log: the same semantics as the PostgreSQL log, in this silo's memory, bounded
/// by <see cref="EventLogOptions.MemoryCapacity"/> (beyond it the oldest events are evicted, and
/// cursors before them expire just as after the retention window). Lost when the silo stops; dev
/// mode is one silo, so every appender and reader shares this instance.
/// </summary>
public sealed class InMemoryEventLog(EventLogOptions options, TimeProvider time) : IEventLog
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Stored> _entries = new();
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private long _lastPosition;
    private long _evictedThrough;

    public Task AppendAsync(IReadOnlyList<LogAppend> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            foreach (var (ns, envelope, _, _) in events)
            {
                if (!_ids.Add(envelope.EventId))
                {
                    continue;
                }

                _entries.AddLast(new Stored(new EventLogEntry(++_lastPosition, ns, envelope), now));
            }

            while (_entries.Count > Math.Max(1, options.MemoryCapacity))
            {
                EvictFirst();
            }
        }

        return Task.CompletedTask;
    }

    public Task<EventLogPage> ReadAsync(long after, FeedFilter filter, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_lock)
        {
            var bounds = Bounds();
            var page = new List<EventLogEntry>(Math.Min(limit, 256));
            for (var node = _entries.Last; node is not null && node.Value.Entry.Position > after; node = node.Previous)
            {
                // Walk back to the first entry after the cursor (readers are usually near the head).
                if (node.Previous is null || node.Previous.Value.Entry.Position <= after)
                {
                    for (var n = node; n is not null && page.Count < limit; n = n.Next)
                    {
                        if (filter.Matches(n.Value.Entry.Namespace, n.Value.Entry.Envelope))
                        {
                            page.Add(n.Value.Entry);
                        }
                    }

                    break;
                }
            }

            var scanned = page.Count == limit ? page[^1].Position : Math.Max(after, bounds.Head);
            return Task.FromResult(new EventLogPage(page, scanned, bounds));
        }
    }

    public Task<EventLogBounds> BoundsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(Bounds());
        }
    }

    public Task<long> EvictAsync(DateTimeOffset appendedBefore, CancellationToken cancellationToken = default)
    {
        long evicted = 0;
        lock (_lock)
        {
            while (_entries.First is { } first && first.Value.AppendedAt < appendedBefore)
            {
                EvictFirst();
                evicted++;
            }
        }

        return Task.FromResult(evicted);
    }

    private EventLogBounds Bounds() => new(_evictedThrough, Math.Max(_lastPosition, _evictedThrough));

    private void EvictFirst()
    {
        var first = _entries.First!.Value;
        _entries.RemoveFirst();
        _ids.Remove(first.Entry.Envelope.EventId);
        _evictedThrough = first.Entry.Position;
    }

    private sealed record Stored(EventLogEntry Entry, DateTimeOffset AppendedAt);
}
