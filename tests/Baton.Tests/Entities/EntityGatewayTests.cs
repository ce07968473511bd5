using Baton.Client;
using Baton.Contracts.Entities;
using Baton.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Baton.Tests.Entities;

/// <summary>Postgres mode, two silos: what a client writes through one silo's gateway, a client of the other silo's gateway reads.</summary>
[Collection("postgres")]
public sealed class EntityGatewayTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_write_through_one_gateway_is_read_back_through_another()
    {
        // Real sockets, so clients outside the TestingHost can reach each silo's gateway.
        var cluster = await PostgresCluster.StartAsync(await postgres.CreateDatabaseAsync(), silos: 2,
            configure: b => b.Options.ConnectionTransport = ConnectionTransportType.TcpSocket);
        try
        {
            var silos = cluster.GetActiveSilos().ToList();
            await using var first = await PinnedClientAsync(cluster, silos[0]);
            await using var second = await PinnedClientAsync(cluster, silos[1]);
            var kind = EntityGrainTests.NewKind();
            await first.Grains.GetGrain<IEntityKindGrain>(kind).Define(new KindDefinition { Schema = """{"type":"object"}""" });

            // Several entities, so activations land on both silos.
            var written = new Dictionary<string, MutateResult>();
            for (var i = 0; i < 8; i++)
            {
                var key = $"{kind}/e{i}";
                await first.Grains.GetGrain<IEntityGrain>(key).Mutate(EntityGrainTests.Patch($$"""{"i":{{i}},"status":"new"}"""));
                written[key] = await first.Grains.GetGrain<IEntityGrain>(key).Mutate(EntityGrainTests.Patch("""{"status":"ready"}"""));
            }

            Assert.Equal(1, (await second.Grains.GetGrain<IEntityKindGrain>(kind).Describe())?.Version);
            foreach (var (key, result) in written)
            {
                var snapshot = await second.Grains.GetGrain<IEntityGrain>(key).Get();
                Assert.Equal((EntityStatus.Live, 2L, result.State), (snapshot.Status, snapshot.Version, snapshot.State));
                Assert.Equal(2, (await second.Grains.GetGrain<IEntityGrain>(key).History("status", null, 10)).Count);
            }

            // And the other way round: a write through the second gateway is seen through the first.
            var back = await second.Grains.GetGrain<IEntityGrain>($"{kind}/e0").Mutate(EntityGrainTests.Patch("""{"status":"done"}"""));
            Assert.Equal(back.State, (await first.Grains.GetGrain<IEntityGrain>($"{kind}/e0").Get()).State);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static Task<BatonClient> PinnedClientAsync(TestCluster cluster, SiloHandle silo) =>
        BatonClient.ConnectAsync(new BatonClientOptions
        {
            Gateways = [$"127.0.0.1:{silo.GatewayAddress.Endpoint.Port}"],
            ClusterId = cluster.Options.ClusterId,
            ServiceId = cluster.Options.ServiceId,
            ConnectTimeout = TimeSpan.FromSeconds(20),
        }, CancellationToken.None);
}
