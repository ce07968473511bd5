using Baton.Contracts;
using Baton.Grains.Feed;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Baton.Tests.Feed;

/// <summary>The dev-mode log keeps the log's rules: idempotent appends, growing positions, filtered pages, honest eviction.</summary>
public sealed class InMemoryEventLogTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Appending_an_event_id_twice_logs_it_once()
    {
        var log = Log();
        var a = Event("a", "entity.changed", 1);
        await log.AppendAsync([Append(a), Append(Event("b", "entity.changed", 2))]);
        await log.AppendAsync([Append(a)]);

        var page = await log.ReadAsync(0, FeedFilter.All, 100);

        Assert.Equal(["a", "b"], page.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal([1L, 2L], page.Entries.Select(e => e.Position));
        Assert.Equal(new EventLogBounds(0, 2), page.Bounds);
    }

    [Fact]
    public async Task A_page_skips_other_types_and_says_how_far_it_scanned()
    {
        var log = Log();
        await log.AppendAsync([
            Append(Event("1", "lock.acquired", 1)),
            Append(Event("2", "lock.released", 2)),
            Append(Event("3", "entity.changed", 1, subject: "e")),
            Append(Event("4", "lock.acquired", 3)),
            Append(Event("5", "lock.released", 4)),
        ]);
        var acquired = FeedFilter.Of(EventTypeFilter.Parse(["lock.acquired"]));

        var full = await log.ReadAsync(0, acquired, limit: 1);
        Assert.Equal(["1"], full.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal(1, full.ScannedThrough);

        var rest = await log.ReadAsync(full.ScannedThrough, acquired, limit: 10);
        Assert.Equal(["4"], rest.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal(5, rest.ScannedThrough);

        var none = await log.ReadAsync(5, acquired, limit: 10);
        Assert.Empty(none.Entries);
        Assert.Equal(5, none.ScannedThrough);
    }

    [Fact]
    public async Task A_kind_filter_keeps_only_that_kinds_entity_events()
    {
        var log = Log();
        await log.AppendAsync([
            Append(Event("1", "entity.changed", 1, subject: "deploy/a")),
            Append(Event("2", "deploy.created", 2, subject: "deploy/a")),
            Append(Event("3", "entity.changed", 1, subject: "deploy.v2/a")),
            Append(Event("4", "entity.changed", 1, subject: "ticket/deploy/a")),
            new LogAppend(EventNamespaces.Locks, Event("5", "lock.acquired", 1, subject: "deploy/a")),
            Append(Event("6", "entity.changed", 1, subject: "deploy/b")),
        ]);

        var kind = await log.ReadAsync(0, FeedFilter.EntityKind("deploy"), 10);
        var changes = await log.ReadAsync(0, FeedFilter.EntityKind("deploy", EventTypeFilter.Parse(["entity.changed"])), 10);

        Assert.Equal(["1", "2", "6"], kind.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal(["1", "6"], changes.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal(6, changes.ScannedThrough);
    }

    [Fact]
    public async Task The_retention_sweep_evicts_old_events_and_their_cursors_expire()
    {
        var options = new EventLogOptions { Retention = TimeSpan.FromHours(1) };
        var log = new InMemoryEventLog(options, _time);
        var sweeper = new EventLogSweeper(log, options, _time, NullLogger<EventLogSweeper>.Instance);
        await log.AppendAsync([Append(Event("old-1", "entity.changed", 1)), Append(Event("old-2", "entity.changed", 2))]);
        _time.Advance(TimeSpan.FromMinutes(45));
        await log.AppendAsync([Append(Event("new-1", "entity.changed", 3))]);

        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(2, await sweeper.SweepAsync());

        var bounds = await log.BoundsAsync();
        Assert.Equal(new EventLogBounds(EvictedThrough: 2, Head: 3), bounds);
        Assert.True(EventLogPage.IsExpired(0, bounds));
        Assert.True(EventLogPage.IsExpired(1, bounds));
        Assert.False(EventLogPage.IsExpired(2, bounds));
        Assert.False(EventLogPage.IsExpired(3, bounds));
        Assert.True(EventLogPage.IsExpired(4, bounds));
        Assert.Equal(["new-1"], (await log.ReadAsync(2, FeedFilter.All, 10)).Entries.Select(e => e.Envelope.EventId));

        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, await sweeper.SweepAsync());
        Assert.Equal(new EventLogBounds(3, 3), await log.BoundsAsync());
    }

    [Fact]
    public async Task Beyond_its_capacity_the_log_evicts_the_oldest_and_says_so()
    {
        var log = new InMemoryEventLog(new EventLogOptions { MemoryCapacity = 3 }, _time);
        for (var i = 1; i <= 5; i++)
        {
            await log.AppendAsync([Append(Event($"e{i}", "entity.changed", i))]);
        }

        var page = await log.ReadAsync(2, FeedFilter.All, 10);
        Assert.Equal(["e3", "e4", "e5"], page.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal(new EventLogBounds(2, 5), page.Bounds);
        Assert.True(EventLogPage.IsExpired(1, page.Bounds));
    }

    [Fact]
    public async Task The_feed_grain_logic_turns_bounds_into_pages_and_expiry()
    {
        var log = Log();
        await log.AppendAsync([Append(Event("x", "entity.changed", 1))]);
        await log.EvictAsync(_time.GetUtcNow().AddSeconds(1));

        var detail = EventFeedGrain.ExpiredDetail(0, await log.BoundsAsync());
        Assert.Contains("evicted", detail);
        Assert.Contains("ahead of this event log", EventFeedGrain.ExpiredDetail(7, await log.BoundsAsync()));
    }

    private InMemoryEventLog Log() => new(new EventLogOptions(), _time);

    private static LogAppend Append(EventEnvelope envelope) => new(envelope.Type.StartsWith("lock.", StringComparison.Ordinal) ? EventNamespaces.Locks : EventNamespaces.Entities, envelope);

    private EventEnvelope Event(string id, string type, long sequence, string subject = "s") =>
        new(id, type, subject, sequence, _time.GetUtcNow(), null, EventPayload.Empty);
}
