using Baton.Contracts;
using Baton.Grains.Feed;
using Baton.Postgres;
using Baton.Postgres.Feed;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Baton.Tests.Feed;

/// <summary>The PostgreSQL log on a migrated database: the same rules as the in-memory log, under concurrency.</summary>
[Collection("postgres")]
public sealed class PostgresEventLogTests(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private PostgresEventLog _log = null!;

    public async Task InitializeAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
        _log = new PostgresEventLog(database, _time, NullLogger<PostgresEventLog>.Instance);
    }

    public async Task DisposeAsync() => await _log.DisposeAsync();

    [Fact]
    public async Task Appends_are_idempotent_by_event_id_and_round_trip_the_envelope()
    {
        var a = Event("a", "entity.changed", 1, actor: "agent-1", payload: """{"b": 1,  "a": [true]}""");
        await _log.AppendAsync([new(EventNamespaces.Entities, a), new(EventNamespaces.Entities, a), new(EventNamespaces.Locks, Event("b", "lock.acquired", 2))]);
        await _log.AppendAsync([new(EventNamespaces.Entities, a)]);

        var page = await _log.ReadAsync(0, FeedFilter.All, 10);

        Assert.Equal(["a", "b"], page.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal(a, page.Entries[0].Envelope);
        Assert.Equal(EventNamespaces.Locks, page.Entries[1].Namespace);
        Assert.Null(page.Entries[1].Envelope.Actor);
        Assert.True(page.Entries[0].Position < page.Entries[1].Position);
        Assert.Equal(page.Entries[1].Position, page.Bounds.Head);
    }

    [Fact]
    public async Task Prefix_filters_match_dotted_prefixes_and_treat_underscore_literally()
    {
        await _log.AppendAsync([
            new(EventNamespaces.Runs, Event("1", "run_x.started", 1)),
            new(EventNamespaces.Runs, Event("2", "runax.started", 2)),
            new(EventNamespaces.Locks, Event("3", "lock.acquired", 3)),
            new(EventNamespaces.Locks, Event("4", "locks.acquired", 4)),
            new(EventNamespaces.Entities, Event("5", "entity.changed", 5)),
        ]);

        var page = await _log.ReadAsync(0, FeedFilter.Of(EventTypeFilter.Parse(["run_x.*", "lock.*", "entity.changed"])), 10);

        Assert.Equal(["1", "3", "5"], page.Entries.Select(e => e.Envelope.EventId));
        Assert.Equal(page.Bounds.Head, page.ScannedThrough);
    }

    [Fact]
    public async Task Concurrent_appenders_only_ever_expose_a_prefix_of_the_log()
    {
        // Many callers append at once (grouped and serialized); a reader following the log never
        // sees a position appear behind one it already passed.
        var appends = Enumerable.Range(0, 40).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await _log.AppendAsync([new(EventNamespaces.Entities, Event($"w{w}-{i}", "entity.changed", i + 1, subject: $"s{w}"))]);
            }
        })).ToArray();

        var seen = new List<EventLogEntry>();
        long cursor = 0;
        while (seen.Count < 1000)
        {
            var page = await _log.ReadAsync(cursor, FeedFilter.All, 100);
            seen.AddRange(page.Entries);
            cursor = page.ScannedThrough;
            if (page.Entries.Count == 0 && appends.All(t => t.IsCompleted))
            {
                var last = await _log.ReadAsync(cursor, FeedFilter.All, 1000);
                seen.AddRange(last.Entries);
                break;
            }
        }

        await Task.WhenAll(appends);
        Assert.Equal(1000, seen.Select(e => e.Envelope.EventId).Distinct().Count());
        Assert.Equal(1000, seen.Count);
        foreach (var subject in seen.GroupBy(e => e.Envelope.Subject))
        {
            Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), subject.Select(e => e.Envelope.Sequence));
        }
    }

    [Fact]
    public async Task Eviction_removes_a_prefix_and_moves_the_horizon_even_when_the_log_empties()
    {
        await _log.AppendAsync([new(EventNamespaces.Entities, Event("old", "entity.changed", 1))]);
        _time.Advance(TimeSpan.FromHours(2));
        await _log.AppendAsync([new(EventNamespaces.Entities, Event("new", "entity.changed", 2))]);
        var positions = (await _log.ReadAsync(0, FeedFilter.All, 10)).Entries.Select(e => e.Position).ToArray();

        Assert.Equal(1, await _log.EvictAsync(_time.GetUtcNow().AddHours(-1)));
        var bounds = await _log.BoundsAsync();
        Assert.Equal(new EventLogBounds(positions[0], positions[1]), bounds);
        Assert.True(EventLogPage.IsExpired(positions[0] - 1, bounds));
        Assert.False(EventLogPage.IsExpired(positions[0], bounds));

        Assert.Equal(1, await _log.EvictAsync(_time.GetUtcNow().AddSeconds(1)));
        Assert.Equal(0, await _log.EvictAsync(_time.GetUtcNow().AddSeconds(1)));
        Assert.Equal(new EventLogBounds(positions[1], positions[1]), await _log.BoundsAsync());
        var empty = await _log.ReadAsync(positions[1], FeedFilter.All, 10);
        Assert.Empty(empty.Entries);
        Assert.Equal(positions[1], empty.ScannedThrough);
    }

    private EventEnvelope Event(string id, string type, long sequence, string subject = "s", string? actor = null, string payload = EventPayload.Empty) =>
        new(id, type, subject, sequence, _time.GetUtcNow(), actor, payload);
}
