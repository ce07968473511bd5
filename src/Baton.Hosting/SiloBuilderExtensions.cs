using System.Net;
using Baton.Contracts;
using Baton.Grains.Entities;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;

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
        silo.Services.AddBatonEntities();
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
            silo.AddAdoNetGrainStorage(GrainStorage, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connectionString;
            });
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
        }
        else
        {
            silo.AddMemoryGrainStorage(GrainStorage);
            silo.AddMemoryGrainStorage(PubSubStorage);
            silo.UseInMemoryReminderService();
        }

        silo.AddMemoryStreams(BatonStreams.Provider);
        silo.AddDashboard();
        return silo;
    }
}
