using System.Diagnostics;
using Baton.Contracts.Locks;
using Baton.Grains.Locks;
using Baton.Hosting;
using Baton.Tests.Events;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Baton.Tests.Locks;

/// <summary>
/// Idle locks leave memory: a lock with no holders, no waiters and no caller waiting unregisters its expiry reminder
/// and deactivates <see cref="LockGrainOptions.IdleDeactivation"/> after its last command, and comes back from its
/// stored state. The grace runs on the silo's real clock (grain timers and a monotonic tick count, deliberately not
/// the locks' clock), so these tests wait in real time: they poll with a deadline, and only the tests about what
/// must not happen within or around the grace wait for fixed spans of it.
/// </summary>
[Collection(IdleLockClusterCollection.Name)]
public sealed class LockIdleDeactivationTests(IdleLockCluster cluster)
{
    private static readonly TimeSpan Grace = IdleLockCluster.IdleDeactivation;

    [Fact]
    public async Task Idle_lock_deactivates_and_drops_its_reminder_soon_after_its_last_command()
    {
        var lockGrain = cluster.Lock(Requests.Key("idle"));
        var lease = await lockGrain.Hold("alice");
        var whileHeld = await Presence.Of(cluster.Cluster, lockGrain);

        await lockGrain.Release(lease.LeaseId, "alice", null);
        var afterIdle = await Presence.WaitUntilGone(cluster.Cluster, lockGrain);

        Assert.Equal(1, whileHeld.Activations);
        Assert.NotNull(whileHeld.Reminder);
        Assert.Equal(0, afterIdle.Activations);
        Assert.Null(afterIdle.Reminder);
    }

    [Fact]
    public async Task Lock_back_from_idle_deactivation_continues_its_fencing_tokens_and_remembered_requests()
    {
        var lockGrain = cluster.Lock(Requests.Key("idle"));
        var first = Requests.For("alice");
        var lease = (await lockGrain.Acquire(first)).Lease!;
        await lockGrain.Release(lease.LeaseId, "alice", "done");
        var gone = await Presence.WaitUntilGone(cluster.Cluster, lockGrain);

        var next = await lockGrain.Hold("bob");
        var retried = await lockGrain.Acquire(first);
        await lockGrain.Release(lease.LeaseId, "alice", "done");
        var described = await lockGrain.Describe();

        Assert.Equal(0, gone.Activations);
        Assert.Equal(lease.FencingToken + 1, next.FencingToken);
        Assert.Equal(LockOutcome.Acquired, retried.Outcome);
        Assert.Equal(lease.LeaseId, retried.Lease!.LeaseId);
        Assert.Equal("bob", Assert.Single(described.Holders).Lease.Owner);
        Assert.Equal(next.FencingToken, described.LastFencingToken);
        Assert.Contains(described.RecentlyEnded, e => e.LeaseId == lease.LeaseId && e.Kind == LeaseEndKind.Released);
    }

    [Fact]
    public async Task Held_lock_and_its_waiting_caller_keep_the_activation_past_several_idle_periods()
    {
        var lockGrain = cluster.Lock(Requests.Key("idle"));
        var lease = await lockGrain.Hold("alice");
        var atGrant = await Presence.Of(cluster.Cluster, lockGrain);

        var fewestWhileHeld = await FewestActivationsDuring(lockGrain, 3 * Grace);
        var waitRequest = Requests.For("bob", maxWaitSeconds: 60);
        var waiting = lockGrain.Acquire(waitRequest);
        await Poll.Until(() => lockGrain.Describe(), d => d.Queue.Count == 1);
        var fewestWhileWaited = await FewestActivationsDuring(lockGrain, 3 * Grace);
        var beforeRelease = await Presence.Of(cluster.Cluster, lockGrain);
        var heartbeat = await lockGrain.Heartbeat(lease.LeaseId, "alice", TimeSpan.FromSeconds(30));
        var stillCurrent = await lockGrain.IsCurrent(lease.FencingToken);
        var waiterStillWaiting = !waiting.IsCompleted;
        await lockGrain.Release(lease.LeaseId, "alice", null);
        var granted = await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, fewestWhileHeld);
        Assert.Equal(1, fewestWhileWaited);
        // A new activation of a busy lock registers the reminder again (a new ETag): the same one means the same activation.
        Assert.Equal(atGrant.Reminder!.ETag, beforeRelease.Reminder!.ETag);
        Assert.True(heartbeat.ExpiresAt > lease.ExpiresAt);
        Assert.True(stillCurrent);
        Assert.True(waiterStillWaiting, "the waiting caller was answered before the holder released");
        Assert.Equal(LockOutcome.Acquired, granted.Outcome);
        Assert.Equal(lease.FencingToken + 1, granted.Lease!.FencingToken);
    }

    [Fact]
    public async Task Lock_used_again_within_the_grace_keeps_its_activation_and_its_reminder()
    {
        var lockGrain = cluster.Lock(Requests.Key("idle"));
        var first = await lockGrain.Hold("alice");
        await lockGrain.Release(first.LeaseId, "alice", null);
        var afterFirst = await Presence.Of(cluster.Cluster, lockGrain);

        var tokens = new List<long> { first.FencingToken };
        for (var i = 0; i < 10; i++)
        {
            var lease = await lockGrain.Hold("alice");
            await lockGrain.Release(lease.LeaseId, "alice", null);
            tokens.Add(lease.FencingToken);
        }

        var afterCycles = await Presence.Of(cluster.Cluster, lockGrain);

        Assert.Equal(Enumerable.Range(1, 11).Select(t => (long)t), tokens);
        Assert.Equal(1, afterCycles.Activations);
        // Re-registering (as a new activation would on its first grant) gives the row a new ETag.
        Assert.Equal(afterFirst.Reminder!.ETag, afterCycles.Reminder!.ETag);
    }

    [Fact]
    public async Task Lock_used_again_as_its_grace_ends_keeps_working()
    {
        var lockGrain = cluster.Lock(Requests.Key("idle"));
        var tokens = new List<long>();

        // Each pause ends just before, at or just after the grace: the next call races the idle plan's wake-up.
        foreach (var pause in new[] { 0.9, 1.0, 1.02, 0.98, 1.05, 1.0, 1.1 })
        {
            var lease = await lockGrain.Hold("alice");
            tokens.Add(lease.FencingToken);
            Assert.True(await lockGrain.IsCurrent(lease.FencingToken));
            await lockGrain.Release(lease.LeaseId, "alice", null);
            await Task.Delay(Grace * pause);
        }

        var last = await lockGrain.Hold("alice");
        var described = await lockGrain.Describe();
        await lockGrain.Release(last.LeaseId, "alice", null);
        var gone = await Presence.WaitUntilGone(cluster.Cluster, lockGrain);

        Assert.Equal(Enumerable.Range(1, 7).Select(t => (long)t), tokens);
        Assert.Equal(8, last.FencingToken);
        Assert.Equal("alice", Assert.Single(described.Holders).Lease.Owner);
        Assert.Equal(0, gone.Activations);
        Assert.Null(gone.Reminder);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Idle_deactivation_of_zero_or_below_is_refused_at_startup(int milliseconds)
    {
        using var host = SiloHost(TimeSpan.FromMilliseconds(milliseconds));

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<LockGrainOptions>>().Value);

        Assert.Contains("IdleDeactivation", error.Message);
    }

    [Fact]
    public void Idle_deactivation_can_be_turned_off_with_an_infinite_grace()
    {
        using var host = SiloHost(Timeout.InfiniteTimeSpan);

        var options = host.Services.GetRequiredService<IOptions<LockGrainOptions>>().Value;

        Assert.Equal(Timeout.InfiniteTimeSpan, options.IdleDeactivation);
    }

    /// <summary>A silo host built (not started) with the Baton services and the given grace, to read its options.</summary>
    private static IHost SiloHost(TimeSpan idleDeactivation)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering();
            silo.AddBatonServices(new BatonOptions());
            silo.Services.Configure<LockGrainOptions>(o => o.IdleDeactivation = idleDeactivation);
        });
        return builder.Build();
    }

    private async Task<int> FewestActivationsDuring(ILockGrain lockGrain, TimeSpan span)
    {
        var fewest = int.MaxValue;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < span)
        {
            fewest = Math.Min(fewest, (await Presence.Of(cluster.Cluster, lockGrain)).Activations);
            await Task.Delay(100);
        }

        return fewest;
    }
}

/// <summary>Postgres mode: the idle lock's reminder leaves the ADO.NET reminder table, and its stored state brings it back.</summary>
[Collection("postgres")]
public sealed class LockIdleDeactivationPostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Idle_lock_leaves_memory_and_comes_back_with_its_fencing_tokens_and_needs_no_reminder_row()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync<ShortGrace>(database, silos: 1);
        try
        {
            var lockGrain = cluster.Client.GetGrain<ILockGrain>(Requests.Key("idle"));
            var first = Requests.For("alice");
            var lease = (await lockGrain.Acquire(first)).Lease!;
            var whileHeld = await Presence.Of(cluster, lockGrain);
            var wakeWhileHeld = await WakeAtAsync(database, lockGrain);
            await lockGrain.Release(lease.LeaseId, "alice", null);
            var wakeWhenFree = await WakeAtAsync(database, lockGrain);
            var gone = await Presence.WaitUntilGone(cluster, lockGrain);

            var next = await lockGrain.Hold("bob");
            var retried = await lockGrain.Acquire(first);
            var busyAgain = await Presence.Of(cluster, lockGrain);

            // Postgres mode: the crash backstop is the state row's wake time (swept by WakeSweeper), never a reminder row.
            Assert.Null(whileHeld.Reminder);
            Assert.Equal(lease.ExpiresAt.UtcDateTime, wakeWhileHeld!.Value, TimeSpan.FromMilliseconds(1));
            Assert.Null(wakeWhenFree);
            Assert.Equal(0, gone.Activations);
            Assert.Equal(lease.FencingToken + 1, next.FencingToken);
            Assert.Equal(lease.LeaseId, retried.Lease!.LeaseId);
            Assert.Equal(1, busyAgain.Activations);
            Assert.Null(busyAgain.Reminder);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static async Task<DateTime?> WakeAtAsync(string database, ILockGrain lockGrain)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT wake_at FROM baton_grain_state WHERE grain_id = $1", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = lockGrain.GetGrainId().ToString() });
        return await command.ExecuteScalarAsync() is DateTime wake ? wake : null;
    }

    private sealed class ShortGrace : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo) =>
            silo.Services.Configure<LockGrainOptions>(o => o.IdleDeactivation = TimeSpan.FromSeconds(1));
    }
}

/// <summary>Where a lock is: how many activations it has in the cluster, and its expiry reminder's row.</summary>
internal sealed record Presence(int Activations, ReminderEntry? Reminder)
{
    public static async Task<Presence> Of(TestCluster cluster, ILockGrain lockGrain)
    {
        var activations = await cluster.Client.GetGrain<IManagementGrain>(0).GetGrainActivationCount((GrainReference)lockGrain);
        var reminders = Assert.IsType<InProcessSiloHandle>(cluster.Silos[0]).SiloHost.Services.GetRequiredService<IReminderTable>();
        return new Presence(activations, await reminders.ReadRow(lockGrain.GetGrainId(), LockGrain.ReminderName));
    }

    /// <summary>Polls until the lock has no activation and no reminder row, for at most 15 s; returns the last look.</summary>
    public static Task<Presence> WaitUntilGone(TestCluster cluster, ILockGrain lockGrain) =>
        Poll.Until(() => Of(cluster, lockGrain), p => p is { Activations: 0, Reminder: null }, TimeSpan.FromSeconds(15));
}
