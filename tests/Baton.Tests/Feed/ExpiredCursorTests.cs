using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Baton.Client;
using Baton.Client.Feed;
using Baton.Contracts;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Feed;

/// <summary>Issue 3 test (e): a cursor the log can no longer continue without a gap is refused with "expired, re-list", never served with a hole.</summary>
[Collection("postgres")]
public sealed class ExpiredCursorTests(PostgresFixture postgres) : IAsyncLifetime
{
    private FeedSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await FeedSilo.StartAsync(postgres);

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task A_cursor_older_than_the_evicted_events_gets_410_with_the_relist_problem()
    {
        var (oldest, newest) = await LogEventsAsync(5);
        var evicted = await _silo.Log.EvictAsync(DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.True(evicted >= 5);

        foreach (var request in new[] { Get($"/api/v1/events?after={oldest}"), Get("/api/v1/events", lastEventId: oldest) })
        {
            var response = await _silo.Http.SendAsync(request);

            Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.EndsWith("/cursor-expired", problem.GetProperty("type").GetString());
            Assert.Equal("cursor expired, re-list", problem.GetProperty("title").GetString());
            Assert.Equal(410, problem.GetProperty("status").GetInt32());
            Assert.Equal(oldest, problem.GetProperty("cursor").GetString());
        }

        // The newest evicted position is a cursor that lost nothing: it still streams.
        await using var current = await SseReader.OpenAsync(_silo.Http, $"/api/v1/events?after={newest}", FeedSilo.AgentKey);
        Assert.Equal(HttpStatusCode.OK, current.Response.StatusCode);
    }

    [Fact]
    public async Task The_dotnet_client_gets_a_typed_CursorExpiredException()
    {
        var (oldest, _) = await LogEventsAsync(3);
        await _silo.Log.EvictAsync(DateTimeOffset.UtcNow.AddMinutes(1));
        await using var client = await BatonClient.ConnectAsync(
            new BatonClientOptions { Postgres = _silo.Database, ClusterId = _silo.ClusterId, ServiceId = _silo.ClusterId, ConnectTimeout = TimeSpan.FromSeconds(30) },
            CancellationToken.None);

        var expired = await Assert.ThrowsAsync<CursorExpiredException>(async () =>
        {
            await foreach (var _ in client.Events.WatchAsync(["entity.*"], oldest))
            {
            }
        });

        Assert.Equal(oldest, expired.Cursor);
        Assert.StartsWith("cursor expired, re-list", expired.Message);
    }

    [Fact]
    public async Task A_cursor_ahead_of_the_log_is_expired_too()
    {
        await LogEventsAsync(1);
        var response = await _silo.Http.SendAsync(Get("/api/v1/events?after=9000000000"));

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("ahead of this event log", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("after=abc", "after")]
    [InlineData("after=-1", "after")]
    [InlineData("after=12%2034", "after")]
    [InlineData("types=Lock.*", "types")]
    [InlineData("types=lock.**", "types")]
    public async Task A_malformed_cursor_or_type_is_400_naming_the_parameter(string query, string parameter)
    {
        var response = await _silo.Http.SendAsync(Get($"/api/v1/events?{query}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [Fact]
    public async Task The_feed_requires_an_api_key()
    {
        var response = await _silo.Http.GetAsync("/api/v1/events");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    /// <summary>Emits events and waits until the log holds them; returns the cursors of the first and last.</summary>
    private async Task<(string Oldest, string Newest)> LogEventsAsync(int count)
    {
        var subject = "expiry/" + Guid.NewGuid().ToString("N")[..8];
        var emitted = await _silo.Grains.GetGrain<IFeedProbeGrain>(subject).Emit("entity.changed", count);
        var feed = _silo.Grains.GetGrain<IEventFeedGrain>(0);
        var ids = emitted.Select(e => e.EventId).ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<FeedEvent> logged;
        do
        {
            var page = await feed.Read(new FeedQuery(FeedCursor.Start, ["entity.changed"], FeedQuery.MaxLimit));
            logged = [.. page.Events.Where(e => ids.Contains(e.Envelope.EventId))];
        }
        while (logged.Count < count && DateTime.UtcNow < deadline && await Delay());

        Assert.Equal(count, logged.Count);
        return (logged[0].Cursor, logged[^1].Cursor);

        static async Task<bool> Delay()
        {
            await Task.Delay(50);
            return true;
        }
    }

    private static HttpRequestMessage Get(string url, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FeedSilo.AgentKey);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        return request;
    }
}
