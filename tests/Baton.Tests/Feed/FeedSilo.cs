using Baton.Grains.Feed;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Tests.Feed;

/// <summary>The real silo host in Postgres mode on a fresh database, with an agent API key, for feed tests.</summary>
public sealed class FeedSilo : IAsyncDisposable
{
    public const string AgentKey = "feed-agent-key-0123456789";

    private FeedSilo(InProcessSilo silo, string database, string clusterId)
    {
        Silo = silo;
        Database = database;
        ClusterId = clusterId;
    }

    public InProcessSilo Silo { get; }

    public string Database { get; }

    public string ClusterId { get; }

    public HttpClient Http => Silo.Http;

    public IGrainFactory Grains => Silo.App.Services.GetRequiredService<IGrainFactory>();

    public IEventLog Log => Silo.App.Services.GetRequiredService<IEventLog>();

    public static async Task<FeedSilo> StartAsync(PostgresFixture postgres)
    {
        var database = await postgres.CreateDatabaseAsync();
        var clusterId = "feed-" + Guid.NewGuid().ToString("N")[..8];
        var silo = await InProcessSilo.StartAsync(new Dictionary<string, string?>
        {
            ["Baton:Postgres"] = database,
            ["Baton:ClusterId"] = clusterId,
            ["Baton:ServiceId"] = clusterId,
            ["Baton:AdvertisedAddress"] = "127.0.0.1",
            ["Baton:ApiKeys:0:Key"] = AgentKey,
            ["Baton:ApiKeys:0:Principal"] = "feed-agent",
            ["Baton:ApiKeys:0:Roles:0"] = "agent",
        });
        return new FeedSilo(silo, database, clusterId);
    }

    public ValueTask DisposeAsync() => Silo.DisposeAsync();
}
