using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Baton.Cli;
using Baton.Contracts;
using Baton.Contracts.Entities;
using Baton.Tests.Cli;
using Baton.Tests.Events;
using Baton.Tests.Feed;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Entities;

/// <summary>
/// <c>GET /api/v1/entities/{kind}/watch</c> and <c>baton entity watch</c> on the real silo host in Postgres
/// mode: the change feed filtered to one kind's entities, with the feed's cursors, Last-Event-ID and 410.
/// </summary>
[Collection("postgres")]
public sealed class EntityWatchTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private FeedSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await FeedSilo.StartAsync(postgres);

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Watching_a_kind_streams_only_its_changes_and_resumes_from_a_cursor()
    {
        var kind = EntityGrainTests.NewKind();
        var other = kind + ".other";
        await DefineAsync(kind);
        await DefineAsync(other);
        var url = $"/api/v1/entities/{kind}/watch?types=entity.changed";

        await using var first = await SseReader.OpenAsync(_silo.Http, url, FeedSilo.AgentKey);
        Assert.Equal(HttpStatusCode.OK, first.Response.StatusCode);
        Assert.Equal("text/event-stream", first.Response.Content.Headers.ContentType?.MediaType);
        var start = await first.NextAsync(CancellationToken.None);
        Assert.True(FeedCursor.TryParse(start?.Id, out _), "the stream opens with the cursor it starts from");

        // The other kind (whose name starts with this one's) writes first and is logged before this kind's writes.
        await WriteAsync(other, "a", 1);
        await WaitLoggedAsync($"{other}/a", 1);
        var before = new List<string>
        {
            await WriteAsync(kind, "a", 1),
            await WriteAsync(kind, "b", 1),
        };

        var seen = await first.ReadEventsAsync(before.Count, Patience);
        Assert.Equal(before.Order(), seen.Select(ChangeId).Order());
        Assert.All(seen, m => Assert.StartsWith($"{kind}/", m.Json.GetProperty("subject").GetString()));
        Assert.All(seen, m => Assert.Equal(EventNamespaces.Entities, m.Json.GetProperty("namespace").GetString()));
        var cursor = first.LastEventId!;
        await first.DisposeAsync();

        // Away: more changes of both kinds.
        var missed = new List<string>();
        for (var n = 2; n <= 4; n++)
        {
            missed.Add(await WriteAsync(kind, "a", n));
            await WriteAsync(other, "a", n);
        }

        await using var resumed = await SseReader.OpenAsync(_silo.Http, url, FeedSilo.AgentKey, lastEventId: cursor);
        var afterHeader = await resumed.ReadEventsAsync(missed.Count, Patience);
        Assert.Equal(missed, afterHeader.Select(ChangeId));

        await using var viaQuery = await SseReader.OpenAsync(_silo.Http, $"{url}&after={cursor}", FeedSilo.AgentKey);
        var afterQuery = await viaQuery.ReadEventsAsync(missed.Count, Patience);
        Assert.Equal(afterHeader.Select(m => m.Id), afterQuery.Select(m => m.Id));

        // Without a type filter the kind's derived events come too (from the first stream's start), still only of this kind.
        await using var everything = await SseReader.OpenAsync(_silo.Http, $"/api/v1/entities/{kind}/watch?after={start!.Id}", FeedSilo.AgentKey);
        var all = await everything.ReadEventsAsync(2 * (before.Count + missed.Count), Patience);
        Assert.All(all, m => Assert.StartsWith($"{kind}/", m.Json.GetProperty("subject").GetString()));
        Assert.Equal(
            [EntityEventTypes.Changed, EntityEventTypes.Created(kind), .. missed.SelectMany(_ => new[] { EntityEventTypes.Changed, EntityEventTypes.Updated(kind) })],
            all.Where(m => m.Json.GetProperty("subject").GetString() == $"{kind}/a").Select(m => m.Event ?? "").ToArray());
        Assert.Equal(
            [EntityEventTypes.Changed, EntityEventTypes.Created(kind)],
            all.Where(m => m.Json.GetProperty("subject").GetString() == $"{kind}/b").Select(m => m.Event ?? "").ToArray());
    }

    [Fact]
    public async Task The_watch_route_wins_over_an_entity_named_watch_and_refuses_bad_requests()
    {
        var kind = EntityGrainTests.NewKind();
        await DefineAsync(kind);
        await WriteAsync(kind, "watch", 1);

        // The entity exists (the grain has it), yet GET .../watch is the stream.
        Assert.Equal(1, (await _silo.Grains.GetGrain<IEntityGrain>($"{kind}/watch").Get()).Version);
        await using var stream = await SseReader.OpenAsync(_silo.Http, $"/api/v1/entities/{kind}/watch", FeedSilo.AgentKey);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        using var history = await Send($"/api/v1/entities/{kind}/watch/history");
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);

        using var badKind = await Send("/api/v1/entities/Upper/watch");
        using var badTypes = await Send($"/api/v1/entities/{kind}/watch?types=Nope");
        using var badCursor = await Send($"/api/v1/entities/{kind}/watch?after=yesterday");
        using var ahead = await Send($"/api/v1/entities/{kind}/watch?after={long.MaxValue / 2}");

        Assert.Equal(HttpStatusCode.BadRequest, badKind.StatusCode);
        Assert.True((await badKind.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("kind", out _));
        Assert.Equal(HttpStatusCode.BadRequest, badTypes.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badCursor.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, ahead.StatusCode);
        Assert.Equal("cursor expired, re-list", (await ahead.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Baton_entity_watch_prints_the_kinds_changes_after_a_cursor()
    {
        var kind = EntityGrainTests.NewKind();
        var other = kind + "-x";
        await DefineAsync(kind);
        await DefineAsync(other);
        var head = await _silo.Grains.GetGrain<IEventFeedGrain>(0).Head();
        var changes = new List<string>();
        for (var n = 1; n <= 3; n++)
        {
            await WriteAsync(other, "a", n);
            changes.Add(await WriteAsync(kind, "a", n));
        }

        string[] connection = ["--gateway", $"127.0.0.1:{_silo.Silo.GatewayPort}", "--cluster-id", _silo.ClusterId, "--service-id", _silo.ClusterId];
        var json = await CliRun.RunAsync([.. connection, "entity", "watch", kind, "--after", head, "--type", "entity.changed", "--count", "3", "--json"]);
        var text = await CliRun.RunAsync([.. connection, "entity", "watch", kind, "--after", head, "--count", "2"]);
        var badCursor = await CliRun.RunAsync([.. connection, "entity", "watch", kind, "--after", "soon"]);

        Assert.Equal(ExitCodes.Ok, json.ExitCode);
        var lines = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(changes, lines.Select(l => l.GetProperty("payload").GetProperty("change_id").GetString()));
        Assert.All(lines, l => Assert.Equal($"{kind}/a", l.GetProperty("subject").GetString()));
        Assert.Equal(ExitCodes.Ok, text.ExitCode);
        var textLines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, textLines.Length);
        Assert.Contains($"entity.changed  {kind}/a  v1  changed: n", textLines[0]);
        Assert.Contains($"{kind}.created  {kind}/a", textLines[1]);
        Assert.Equal(ExitCodes.Usage, badCursor.ExitCode);
    }

    private Task DefineAsync(string kind) =>
        _silo.Grains.GetGrain<IEntityKindGrain>(kind).Define(new KindDefinition
        {
            Schema = """{"type":"object","properties":{"n":{"type":"integer"}}}""",
        });

    /// <summary>Patches <c>{ n }</c> into <c>kind/id</c>; returns the change id.</summary>
    private async Task<string> WriteAsync(string kind, string id, int n) =>
        (await _silo.Grains.GetGrain<IEntityGrain>($"{kind}/{id}").Mutate(EntityGrainTests.Patch($$"""{"n":{{n}}}""", actor: "watcher"))).ChangeId!;

    /// <summary>Waits until the log holds <paramref name="changes"/> <c>entity.changed</c> events of <paramref name="subject"/>.</summary>
    private async Task WaitLoggedAsync(string subject, int changes)
    {
        var filter = FeedFilter.Of(EventTypeFilter.Parse([EntityEventTypes.Changed]), EventNamespaces.Entities, subject);
        var page = await Poll.Until(
            () => _silo.Grains.GetGrain<IEventFeedGrain>(0).Read(filter.Query(FeedCursor.Start)),
            p => p.Events.Count(e => e.Envelope.Subject == subject) >= changes,
            Patience);
        Assert.Equal(changes, page.Events.Count(e => e.Envelope.Subject == subject));
    }

    private Task<HttpResponseMessage> Send(string url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", FeedSilo.AgentKey);
        return _silo.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static string? ChangeId(SseMessage message) => message.Json.GetProperty("payload").GetProperty("change_id").GetString();
}
