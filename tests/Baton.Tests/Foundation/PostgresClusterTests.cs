using Baton.Contracts;
using Baton.Tests.Grains;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Baton.Tests.Foundation;

/// <summary>Postgres mode across several silos: state outlives the cluster, reminders outlive their silo, ETag races are caught.</summary>
[Collection("postgres")]
public sealed class PostgresClusterTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Grain_state_survives_a_full_cluster_restart()
    {
        var database = await postgres.CreateDatabaseAsync();
        var serviceId = "restart-" + Guid.NewGuid().ToString("N")[..8];

        var first = await PostgresCluster.StartAsync(database, silos: 2, serviceId);
        try
        {
            var probe = first.Client.GetGrain<IProbeGrain>("restart:probe");
            for (var i = 0; i < 3; i++)
            {
                await probe.Increment();
            }
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        var second = await PostgresCluster.StartAsync(database, silos: 2, serviceId);
        try
        {
            var probe = second.Client.GetGrain<IProbeGrain>("restart:probe");
            Assert.Equal(3, await probe.Count());
            Assert.Equal(4, await probe.Increment());
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reminder_fires_again_after_the_silo_that_registered_it_is_killed()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync(database, silos: 2);
        try
        {
            var probe = cluster.Client.GetGrain<IProbeGrain>("reminder:probe");
            var home = await probe.Silo();
            await probe.StartTicking(TimeSpan.FromSeconds(1));
            await WaitUntil(async () => (await probe.TickSilos()).Count >= 1, TimeSpan.FromSeconds(30), "the reminder to fire once");

            var victim = cluster.GetActiveSilos().Single(s => s.SiloAddress.ToParsableString() == home);
            await cluster.KillSiloAsync(victim);

            await WaitUntil(
                async () => (await probe.TickSilos()).Any(s => s != home),
                TimeSpan.FromSeconds(90),
                "the reminder to fire on the surviving silo");
            var survivor = await probe.Silo();
            Assert.NotEqual(home, survivor);
            await probe.StopTicking();
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_write_that_loses_an_etag_race_is_a_conflict_and_the_grain_recovers_by_re_reading()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync(database, silos: 2);
        try
        {
            var probe = cluster.Client.GetGrain<IProbeGrain>("etag:probe");
            Assert.Equal(1, await probe.Increment());

            // Another writer (as a brief duplicate activation would) stores 41 behind the grain's back.
            var silo = Assert.IsType<InProcessSiloHandle>(cluster.GetActiveSilos().First());
            var storage = silo.SiloHost.Services.GetRequiredKeyedService<IGrainStorage>("baton");
            var grainId = GrainId.Create("probe", "etag:probe");
            var external = new GrainState<ProbeState>(new ProbeState());
            await storage.ReadStateAsync("probe", grainId, external);
            Assert.Equal(1, external.State!.Count);
            external.State.Count = 41;
            await storage.WriteStateAsync("probe", grainId, external);

            await Assert.ThrowsAsync<StateConflictException>(() => probe.Increment());

            Assert.Equal(41, await probe.Count());
            Assert.Equal(42, await probe.Increment());
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
            {
                // The cluster is still noticing the dead silo; ask again.
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Timed out after {timeout} waiting for {what}.");
    }
}
