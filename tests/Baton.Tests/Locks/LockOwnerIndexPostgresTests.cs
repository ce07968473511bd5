using Baton.Contracts.Locks;
using Baton.Contracts.Owners;
using Baton.Grains.Common;
using Baton.Tests.Events;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Baton.Tests.Locks;

/// <summary>
/// Postgres mode: the owner index is rows each lock writes with its own state, so it is exact as soon as a command
/// returns, follows heartbeats, and stays exact through a silo's death (the expiry that the wake sweeper drives on
/// another silo removes the lease from the index in the same write). No stream router is subscribed to lock events.
/// </summary>
[Collection("postgres")]
public sealed class LockOwnerIndexPostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Owner_index_is_exact_after_every_command_and_after_the_silo_hosting_a_lock_dies()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync<FastSweep>(database, silos: 2);
        try
        {
            var (k1, k2, k3) = (Requests.Key("repo"), Requests.Key("env"), Requests.Key("ticket"));
            var lock1 = cluster.Client.GetGrain<ILockGrain>(k1);
            var lock2 = cluster.Client.GetGrain<ILockGrain>(k2);
            var lock3 = cluster.Client.GetGrain<ILockGrain>(k3);
            var alice = cluster.Client.GetGrain<IOwnerGrain>("alice");

            var lease1 = await lock1.Hold("alice");
            var lease2 = await lock2.Hold("alice", ttlSeconds: 5);
            var bobs = await lock3.Hold("bob");
            var wait = Requests.For("alice", maxWaitSeconds: 120) with { ReplyWithin = TimeSpan.FromMilliseconds(200) };
            Assert.Equal(LockOutcome.Queued, (await lock3.Acquire(wait)).Outcome);

            // Exact at once: no stream or owner grain in between.
            var listed = await alice.GetLocks();
            Assert.Equal(new[] { lease1, lease2 }.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.LeaseId), listed.Held.Select(l => l.LeaseId));
            Assert.Equal([(k3, wait.RequestId)], listed.Waiting.Select(w => (w.Key, w.RequestId)));
            Assert.Equal([k3], (await cluster.Client.GetGrain<IOwnerGrain>("bob").GetLocks()).Held.Select(l => l.Key));

            // A heartbeat moves the listed expiry; a release and the grant it causes show at once.
            var beat = await lock1.Heartbeat(lease1.LeaseId, "alice", TimeSpan.FromSeconds(120));
            Assert.Equal(beat.ExpiresAt, (await alice.GetLocks()).Held.Single(l => l.Key == k1).ExpiresAt);
            await lock3.Release(bobs.LeaseId, "bob", null);
            listed = await alice.GetLocks();
            Assert.Equal(3, listed.Held.Count);
            Assert.Empty(listed.Waiting);
            Assert.Empty((await cluster.Client.GetGrain<IOwnerGrain>("bob").GetLocks()).Held);

            // The silo hosting k2 dies; nobody calls k2. Its lease expires through the wake sweeper on the other silo,
            // and that expiry's write takes it out of the index.
            var home = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(lock2);
            await cluster.KillSiloAsync(cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(home)));
            var after = await Poll.Until(() => alice.GetLocks(), l => l.Held.All(h => h.Key != k2), TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(after.Held, l => l.Key == k2);
            Assert.Equal(2, after.Held.Count);

            // Seconds of lock events later, no stream router was ever given one: nothing in this mode reads them for the index.
            var statistics = await cluster.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
            Assert.DoesNotContain(statistics, s => s.GrainType.Contains("LockEventRouter", StringComparison.Ordinal) && s.ActivationCount > 0);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private sealed class FastSweep : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo) =>
            silo.Services.Configure<WakeSweepOptions>(o => o.Interval = TimeSpan.FromSeconds(1));
    }
}
