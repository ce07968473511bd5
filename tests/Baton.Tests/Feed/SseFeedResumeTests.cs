using System.Net;
using Baton.Client;
using Baton.Contracts;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Feed;

/// <summary>Issue 3 test (d): a feed subscriber that was away for 2,000 events resumes from its cursor and misses none.</summary>
[Collection("postgres")]
public sealed class SseFeedResumeTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Url = "/api/v1/events?types=entity.*,lock.acquired";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private FeedSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await FeedSilo.StartAsync(postgres);

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task An_SSE_client_disconnected_for_2000_events_resumes_from_its_cursor_and_gets_all_of_them_in_subject_order()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var entities = Enumerable.Range(0, 10).Select(i => $"sse-{run}/entity-{i}").ToArray();
        var locks = Enumerable.Range(0, 2).Select(i => $"sse-{run}/lock-{i}").ToArray();

        // Connected: 200 entity events and 20 lock acquisitions (plus releases the filter drops).
        var first = await SseReader.OpenAsync(_silo.Http, Url, FeedSilo.AgentKey);
        Assert.Equal(HttpStatusCode.OK, first.Response.StatusCode);
        Assert.Equal("text/event-stream", first.Response.Content.Headers.ContentType?.MediaType);
        var start = await first.NextAsync(CancellationToken.None);
        Assert.True(FeedCursor.TryParse(start?.Id, out _), "the stream opens with the cursor it starts from");

        var before = await EmitAsync(entities, locks, entityEvents: 20, lockEvents: 10);
        var seenBefore = await first.ReadEventsAsync(before.Count, Patience);
        AssertDelivered(before, seenBefore);
        var cursor = first.LastEventId!;
        Assert.Equal(seenBefore[^1].Id, cursor);
        await first.DisposeAsync();

        // Away: 1,900 entity events and 100 lock acquisitions, with 100 releases in between.
        var missed = await EmitAsync(entities, locks, entityEvents: 190, lockEvents: 50);
        Assert.Equal(2000, missed.Count);

        // Back with Last-Event-ID, as EventSource reconnects (to the same URL).
        await using var resumed = await SseReader.OpenAsync(_silo.Http, Url, FeedSilo.AgentKey, lastEventId: cursor);
        Assert.Equal(HttpStatusCode.OK, resumed.Response.StatusCode);
        var afterHeader = await resumed.ReadEventsAsync(missed.Count, Patience);
        AssertDelivered(missed, afterHeader);

        // The same cursor as ?after= gives the same events in the same order.
        await using var viaQuery = await SseReader.OpenAsync(_silo.Http, $"{Url}&after={cursor}", FeedSilo.AgentKey);
        var afterQuery = await viaQuery.ReadEventsAsync(missed.Count, Patience);
        Assert.Equal(afterHeader.Select(m => m.Id), afterQuery.Select(m => m.Id));
    }

    [Fact]
    public async Task The_dotnet_client_resumes_a_watch_from_its_cursor()
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var entities = Enumerable.Range(0, 5).Select(i => $"net-{run}/entity-{i}").ToArray();
        var locks = new[] { $"net-{run}/lock-0" };
        await using var client = await BatonClient.ConnectAsync(
            new BatonClientOptions { Postgres = _silo.Database, ClusterId = _silo.ClusterId, ServiceId = _silo.ClusterId, ConnectTimeout = TimeSpan.FromSeconds(30) },
            CancellationToken.None);
        string[] types = ["entity.*", "lock.acquired"];
        var head = await client.Events.HeadAsync();

        var before = await EmitAsync(entities, locks, entityEvents: 10, lockEvents: 10);
        var seenBefore = await TakeAsync(client.Events.WatchAsync(types, head), before.Count);
        Assert.Equal(before.Select(e => e.EventId).Order(), seenBefore.Select(e => e.Envelope.EventId).Order());

        var missed = await EmitAsync(entities, locks, entityEvents: 100, lockEvents: 40);
        var resumed = await TakeAsync(client.Events.WatchAsync(types, seenBefore[^1].Cursor), missed.Count);

        Assert.Equal(missed.Select(e => e.EventId).Order(), resumed.Select(e => e.Envelope.EventId).Order());
        AssertSubjectOrder(resumed.Select(e => e.Envelope));
    }

    /// <summary>Emits on every subject in rounds of 10, concurrently across subjects; returns the events the feed's filter selects, in emit order per subject.</summary>
    private async Task<List<EventEnvelope>> EmitAsync(string[] entities, string[] locks, int entityEvents, int lockEvents)
    {
        var perSubject = await Task.WhenAll(
            entities.Select(s => EmitRoundsAsync(s, ["entity.changed"], entityEvents))
                .Concat(locks.Select(s => EmitRoundsAsync(s, ["lock.acquired", "lock.released"], lockEvents))));
        return [.. perSubject.SelectMany(e => e).Where(e => e.Type != "lock.released")];
    }

    private async Task<List<EventEnvelope>> EmitRoundsAsync(string subject, string[] types, int perType)
    {
        var probe = _silo.Grains.GetGrain<IFeedProbeGrain>(subject);
        var emitted = new List<EventEnvelope>();
        for (var done = 0; done < perType; done += 10)
        {
            foreach (var type in types)
            {
                emitted.AddRange(await probe.Emit(type, Math.Min(10, perType - done)));
            }
        }

        return emitted;
    }

    private static async Task<List<FeedEvent>> TakeAsync(IAsyncEnumerable<FeedEvent> feed, int count)
    {
        using var cts = new CancellationTokenSource(Patience);
        var taken = new List<FeedEvent>();
        try
        {
            await foreach (var e in feed.WithCancellation(cts.Token))
            {
                taken.Add(e);
                if (taken.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Timed out: the caller asserts on what arrived.
        }

        return taken;
    }

    private static void AssertDelivered(List<EventEnvelope> expected, List<SseMessage> received)
    {
        var envelopes = received.Select(m =>
        {
            var json = m.Json;
            Assert.Equal(m.Id, json.GetProperty("cursor").GetString());
            Assert.Equal(m.Event, json.GetProperty("type").GetString());
            return new EventEnvelope(
                json.GetProperty("event_id").GetString()!,
                json.GetProperty("type").GetString()!,
                json.GetProperty("subject").GetString()!,
                json.GetProperty("sequence").GetInt64(),
                json.GetProperty("occurred_at").GetDateTimeOffset(),
                json.GetProperty("actor").GetString(),
                json.GetProperty("payload").GetRawText());
        }).ToList();

        // Every missed event, none of the filtered-out type, cursors only growing.
        Assert.Equal(expected.Select(e => e.EventId).Order(), envelopes.Select(e => e.EventId).Distinct().Order());
        Assert.DoesNotContain(envelopes, e => e.Type == "lock.released");
        var positions = received.Select(m => long.Parse(m.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(positions.Order(), positions);
        AssertSubjectOrder(envelopes);
        Assert.All(envelopes, e => Assert.Equal("feed-tests", e.Actor));
    }

    /// <summary>After dropping repeats by event id, each subject's sequences only grow.</summary>
    private static void AssertSubjectOrder(IEnumerable<EventEnvelope> events)
    {
        var seen = new HashSet<string>();
        foreach (var subject in events.Where(e => seen.Add(e.EventId)).GroupBy(e => e.Subject))
        {
            var sequences = subject.Select(e => e.Sequence).ToList();
            Assert.True(sequences.SequenceEqual(sequences.Order()) && sequences.Distinct().Count() == sequences.Count,
                $"{subject.Key}: sequences out of order: {string.Join(",", sequences)}");
        }
    }
}
