using System.Net;
using Baton.Contracts;
using Baton.Grains.Feed;
using Baton.Grains.Locks;
using Baton.Grains.Owners;
using Baton.Postgres.Feed;
using Baton.Postgres.Storage;
using Baton.Postgres.Streams;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Baton.Grains.Common;
using Baton.Grains.Entities;
using Baton.Grains.Intents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Streams;

namespace Baton.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>The grain storage every Baton grain persists to.</summary>
    public const string GrainStorage = "baton";

    /// <summary>Orleans' name for the storage that keeps stream subscriptions.</summary>
    public const string PubSubStorage = "PubSubStore";

    /// <summary>
    /// Wires a Baton silo: cluster identity and endpoints, clustering, grain storage, reminders,
    /// streams and the dashboard, in dev mode (memory) or Postgres mode (ADO.NET on PostgreSQL).
    /// </summary>
    public static ISiloBuilder AddBaton(this ISiloBuilder silo, BatonOptions options)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        if (options.IsPostgres)
        {
            var address = options.AdvertisedAddress ?? Dns.GetHostName();
            if (IPAddress.TryParse(address, out var ip))
            {
                silo.ConfigureEndpoints(ip, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                silo.ConfigureEndpoints(address, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            }
        }
        else
        {
            // Dev mode is one silo on loopback: it is its own primary.
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
        }

        return silo.AddBatonServices(options);
    }

    /// <summary>
    /// Everything of <see cref="AddBaton"/> except cluster identity, endpoints and dev-mode
    /// clustering, for hosts that set those themselves (Orleans' TestingHost).
    /// </summary>
    public static ISiloBuilder AddBatonServices(this ISiloBuilder silo, BatonOptions options)
    {
        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton(TimeProvider.System);

        // Locks read time through their own key (tests may move it alone); it is the silo's clock.
        silo.Services.TryAddKeyedSingleton<TimeProvider>(LockServiceKeys.Clock, (sp, _) => sp.GetRequiredService<TimeProvider>());
        silo.Services.AddOptions<LockGrainOptions>()
            .Configure(o =>
            {
                // Registered first: a host's own Configure<LockGrainOptions> (tests) still has the last word.
                o.VictimPolicy = options.Locks.DeadlockVictim;
                o.IdleDeactivation = options.Locks.IdleDeactivation;
                o.RecentDeadlocks = options.Locks.RecentDeadlocks;
            })
            .Validate(
                o => o.IdleDeactivation > TimeSpan.Zero || o.IdleDeactivation == Timeout.InfiniteTimeSpan,
                "LockGrainOptions.IdleDeactivation must be above 0, or Timeout.InfiniteTimeSpan to leave idle locks to Orleans' activation collection.")
            .ValidateOnStart();
        silo.Services.AddBatonEntities();

        // The lock routers' implicit subscription depends on the mode (StreamFedOwnerIndexPredicate).
        silo.Services.AddSingleton<IStreamNamespacePredicateProvider, StreamFedOwnerIndexPredicateProvider>();
        silo.Services.AddBatonIntents();
        silo.Services.AddSingleton<SiloServingState>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloServingState>());

        if (options.IsPostgres)
        {
            var connectionString = options.Postgres!;
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp =>
                ActivatorUtilities.CreateInstance<SchemaMigration>(sp, connectionString));
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            // Baton's grains: group-committed writes that carry their outbox events into the event log (see PostgresGrainStorage).
            silo.Services.AddGrainStorage(GrainStorage, (sp, _) => new PostgresGrainStorage(
                connectionString,
                sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
                sp.GetRequiredService<Serializer>(),
                PostgresQueueAdapterFactory.QueueMapper(
                    BatonStreams.Provider, sp.GetRequiredService<IOptionsMonitor<PostgresStreamOptions>>().Get(BatonStreams.Provider).Queues),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<PostgresGrainStorage>>(),
                sp.GetServices<IPostgresSideWriter>()));
            silo.Services.AddSingleton<GrainStorageSideWrites>();

            // Locks name their next deadline in their state row; every silo wakes those whose silo died (no reminder per lock).
            silo.Services.AddSingleton<GrainStorageWakes>();
            silo.Services.AddOptions<WakeSweepOptions>();
            silo.Services.AddSingleton<IDueWakes>(sp => (IDueWakes)sp.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(GrainStorage));
            silo.Services.AddSingleton<WakeSweeper>();

            // The owner index: rows each lock writes with its own state (no stream-fed owner grains in this mode).
            silo.Services.AddSingleton(sp => new Baton.Postgres.Locks.PostgresLockOwnerIndex(
                connectionString, sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
            silo.Services.AddSingleton<Baton.Grains.Owners.ILockOwnerIndex>(sp => sp.GetRequiredService<Baton.Postgres.Locks.PostgresLockOwnerIndex>());
            silo.Services.AddSingleton<IPostgresSideWriter>(sp => sp.GetRequiredService<Baton.Postgres.Locks.PostgresLockOwnerIndex>());
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<WakeSweeper>());
            silo.AddAdoNetGrainStorage(PubSubStorage, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
            silo.AddBatonPostgresStreams(connectionString, o =>
            {
                o.Queues = options.Streams.Queues;
                o.MaxAttempts = options.Streams.MaxAttempts;
                o.Lease = options.Streams.Lease;
                o.Retention = options.Streams.Retention;
                o.BatchSize = options.Streams.BatchSize;
                o.PollInterval = options.Streams.PollInterval;
                o.RedeliveryDelay = options.Streams.RedeliveryDelay;
                o.CursorInterval = options.Streams.CursorInterval;
                o.RetentionSweepInterval = options.Streams.RetentionSweepInterval;
            });
            silo.AddBatonPostgresEntities(connectionString);
        }
        else
        {
            silo.AddMemoryStreams(BatonStreams.Provider);
            silo.AddMemoryGrainStorage(GrainStorage);
            silo.AddMemoryGrainStorage(PubSubStorage);
            silo.Services.AddSingleton<Baton.Grains.Events.SiloMemoryGrainStorage>();
            silo.UseInMemoryReminderService();
        }

        silo.AddEventLog(options);
        silo.AddDashboard(o => o.CounterUpdateIntervalMs = (int)options.Dashboard.SampleInterval.TotalMilliseconds);
        return silo;
    }

    /// <summary>
    /// The event log behind the change feed: in PostgreSQL in Postgres mode, in memory in dev mode,
    /// plus the retention sweep. A host that registered its own <see cref="IEventLog"/> keeps it.
    /// </summary>
    private static void AddEventLog(this ISiloBuilder silo, BatonOptions options)
    {
        silo.Services.AddSingleton(options.EventLog);
        if (options.IsPostgres)
        {
            var connectionString = options.Postgres!;
            // The log is the stream queue too: the stream provider appends publishes to it under this service's queues.
            silo.Services.TryAddSingleton<IEventLog>(sp => new PostgresEventLog(
                connectionString,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<PostgresEventLog>>(),
                sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
        }
        else
        {
            silo.Services.TryAddSingleton<IEventLog>(sp => new InMemoryEventLog(options.EventLog, sp.GetRequiredService<TimeProvider>()));

            // Memory streams do not keep what they carry: publishers log their events themselves.
            silo.Services.AddSingleton<PublishedEventLog>();
        }

        silo.Services.AddSingleton<EventLogSweeper>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<EventLogSweeper>());
    }
}
