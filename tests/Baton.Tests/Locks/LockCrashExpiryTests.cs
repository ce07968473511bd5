using Baton.Contracts.Locks;
using Baton.Grains.Locks;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Baton.Tests.Locks;

/// <summary>Expiry and hand-over happen after the silo hosting the lock died, with nobody calling the lock: the reminder wakes it.</summary>
[Collection("postgres")]
public sealed class LockCrashExpiryTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Reminder_expires_the_lease_and_grants_the_waiter_after_the_silo_hosting_the_lock_is_killed()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync<FastReminder>(database, silos: 2);
        try
        {
            var lockGrain = cluster.Client.GetGrain<ILockGrain>(Requests.Key("crash"));
            var lease = await lockGrain.Hold("alice", ttlSeconds: 5);
            var request = Requests.For("bob", maxWaitSeconds: 120);
            var waiting = lockGrain.Acquire(request);
            // The acquire and this look travel separately; wait until the lock has queued the request.
            AcquireOutcome? queued = null;
            for (var i = 0; i < 100 && queued is null; i++)
            {
                queued = await lockGrain.RequestStatus(request.RequestId);
                if (queued is null)
                {
                    await Task.Delay(50);
                }
            }

            var home = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(lockGrain);
            await cluster.KillSiloAsync(cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(home)));
            // The caller's wait is lost with the activation: it fails, or (when its reply was due from the dead silo)
            // never answers until the call's own timeout; either way the request itself stays in the stored queue.
            var callerError = await Record.ExceptionAsync(() => waiting.WaitAsync(TimeSpan.FromSeconds(8)));

            // Leave the lock alone well past the expiry; then look at when the hand-over happened.
            await Task.Delay(TimeSpan.FromSeconds(12));
            var lookedAt = DateTimeOffset.UtcNow;
            var status = await lockGrain.RequestStatus(request.RequestId);

            Assert.Equal(LockOutcome.Queued, queued!.Outcome);
            Assert.NotNull(callerError);
            Assert.Equal(LockOutcome.Acquired, status!.Outcome);
            Assert.Equal(lease.FencingToken + 1, status.Lease!.FencingToken);
            Assert.True(status.Lease.AcquiredAt < lookedAt - TimeSpan.FromSeconds(2),
                $"the waiter was granted at {status.Lease.AcquiredAt:O}, by the look at {lookedAt:O}, not by the reminder");
            Assert.InRange(status.Lease.AcquiredAt - lease.ExpiresAt, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private sealed class FastReminder : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.Services.Configure<LockGrainOptions>(o => o.ReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Services.Configure<Baton.Grains.Common.WakeSweepOptions>(o => o.Interval = TimeSpan.FromSeconds(1));
        }
    }
}
