using System.Net;
using Baton.Contracts;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Tests.Feed;

/// <summary>Dev mode (memory streams, in-memory log) serves the same feed.</summary>
public sealed class DevModeFeedTests
{
    [Fact]
    public async Task A_dev_silo_streams_published_events_over_SSE()
    {
        await using var silo = await InProcessSilo.StartAsync();
        await using var sse = await SseReader.OpenAsync(silo.Http, "/api/v1/events?types=lock.*", apiKey: "unused-in-dev-mode");
        Assert.Equal(HttpStatusCode.OK, sse.Response.StatusCode);
        var start = await sse.NextAsync(CancellationToken.None);
        Assert.Equal(FeedCursor.Start, start?.Id);

        var grains = silo.App.Services.GetRequiredService<IGrainFactory>();
        await grains.GetGrain<IFeedProbeGrain>("dev/lock").Emit("lock.acquired", 3);
        await grains.GetGrain<IFeedProbeGrain>("dev/entity").Emit("entity.changed", 2);
        await grains.GetGrain<IFeedProbeGrain>("dev/lock").Emit("lock.released", 1);

        var events = await sse.ReadEventsAsync(4, TimeSpan.FromSeconds(30));

        Assert.Equal(["lock.acquired", "lock.acquired", "lock.acquired", "lock.released"], events.Select(e => e.Event));
        Assert.Equal([1L, 2L, 3L, 4L], events.Select(e => e.Json.GetProperty("sequence").GetInt64()));
        Assert.Equal("locks", events[0].Json.GetProperty("namespace").GetString());
        Assert.Equal(0, events[0].Json.GetProperty("payload").GetProperty("part").GetInt32());
    }
}
