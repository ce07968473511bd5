using Baton.Grains.Events;
using Baton.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Baton.Tests.Events;

/// <summary>
/// Two dev-mode silos (memory streams "baton", memory "PubSubStore" and "baton" storage, memory
/// reminders) with the outbox fault plan and a 1 s retry reminder. Shared by the event tests.
/// </summary>
public sealed class EventsCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>A service of the primary silo.</summary>
    public T SiloService<T>() where T : notnull =>
        Cluster.Primary is InProcessSiloHandle { SiloHost: { } host }
            ? host.Services.GetRequiredService<T>()
            : throw new InvalidOperationException("The primary silo does not run in this process.");

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(new BatonOptions());
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Services.Configure<EventOutboxOptions>(o => o.RetryPeriod = TimeSpan.FromSeconds(1));
            silo.Services.AddSingleton<IOutboxFaults>(OutboxFaultPlan.Shared);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class EventsClusterCollection : ICollectionFixture<EventsCluster>
{
    public const string Name = "events-cluster";
}

public static class Poll
{
    /// <summary>Asks <paramref name="probe"/> every 50 ms until <paramref name="done"/> holds or <paramref name="timeout"/> passes; returns the last answer.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        var value = await probe();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            value = await probe();
        }

        return value;
    }
}
