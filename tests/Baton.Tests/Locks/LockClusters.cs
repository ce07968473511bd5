using Baton.Contracts.Locks;
using Baton.Grains.Locks;
using Baton.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Baton.Tests.Locks;

/// <summary>A dev-mode test cluster of <c>silos</c> silos configured by <typeparamref name="TConfigurator"/>, for the lock fixtures below.</summary>
public abstract class LockTestCluster<TConfigurator>(int silos) : IAsyncLifetime
    where TConfigurator : ISiloConfigurator, new()
{
    public TestCluster Cluster { get; private set; } = null!;

    public ILockGrain Lock(string key) => Cluster.Client.GetGrain<ILockGrain>(key);

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.AddSiloBuilderConfigurator<TConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Two dev-mode silos for the lock grain tests: real time, a 1 s expiry reminder (the minimum reminder period
/// is lowered to allow it) and a 1 s wait refresh for the deadlock detector.
/// </summary>
public sealed class LockCluster() : LockTestCluster<LockCluster.SiloConfigurator>(silos: 2)
{
    public IGrainFactory Grains => Cluster.Client;

    public sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(new BatonOptions());
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Services.Configure<LockGrainOptions>(o =>
            {
                o.ReminderPeriod = TimeSpan.FromSeconds(1);
                o.WaitReportRefresh = TimeSpan.FromSeconds(1);
            });
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LockClusterCollection : ICollectionFixture<LockCluster>
{
    public const string Name = "lock-cluster";
}

/// <summary>
/// One dev-mode silo whose locks read time from <see cref="Clock"/>, a FakeTimeProvider registered under the
/// locks' clock key only: Orleans itself (membership, timers, messaging) keeps real time.
/// </summary>
public sealed class FakeClockLockCluster() : LockTestCluster<FakeClockLockCluster.SiloConfigurator>(silos: 1)
{
    /// <summary>The locks' clock; one such cluster runs per test run.</summary>
    public static FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(new BatonOptions());
            silo.Services.AddKeyedSingleton<TimeProvider>(LockServiceKeys.Clock, Clock);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FakeClockLockClusterCollection : ICollectionFixture<FakeClockLockCluster>
{
    public const string Name = "lock-fake-clock-cluster";
}

/// <summary>
/// One dev-mode silo whose idle locks deactivate after <see cref="IdleDeactivation"/> instead of the default 2 s,
/// with the default 1-minute expiry reminder, so that a reminder that disappears within seconds went with the idle
/// lock and not on a reminder tick.
/// </summary>
public sealed class IdleLockCluster() : LockTestCluster<IdleLockCluster.SiloConfigurator>(silos: 1)
{
    /// <summary>Short enough to watch a lock leave, long enough that back-to-back calls land well within it.</summary>
    public static readonly TimeSpan IdleDeactivation = TimeSpan.FromSeconds(1);

    public sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(new BatonOptions());
            silo.Services.Configure<LockGrainOptions>(o => o.IdleDeactivation = IdleDeactivation);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class IdleLockClusterCollection : ICollectionFixture<IdleLockCluster>
{
    public const string Name = "lock-idle-cluster";
}

/// <summary>Terse lock requests for grain tests; every request gets a fresh request id unless one is given.</summary>
internal static class Requests
{
    public static AcquireRequest For(string owner, LockMode mode = LockMode.Exclusive, double maxWaitSeconds = 0,
        int ttlSeconds = 30, int priority = 0, string? requestId = null) => new()
    {
        Owner = owner,
        Mode = mode,
        MaxWait = TimeSpan.FromSeconds(maxWaitSeconds),
        Ttl = TimeSpan.FromSeconds(ttlSeconds),
        Priority = priority,
        Purpose = $"test work of {owner}",
        RequestId = requestId ?? $"{owner}-{Guid.NewGuid():N}",
    };

    /// <summary>A key no other test uses.</summary>
    public static string Key(string type = "test") => $"{type}:{Guid.NewGuid():N}";

    public static async Task<LockLease> Hold(this ILockGrain lockGrain, string owner, LockMode mode = LockMode.Exclusive, int ttlSeconds = 30)
    {
        var outcome = await lockGrain.Acquire(For(owner, mode, ttlSeconds: ttlSeconds));
        Assert.Equal(LockOutcome.Acquired, outcome.Outcome);
        return outcome.Lease!;
    }
}
