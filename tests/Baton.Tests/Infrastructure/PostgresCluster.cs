using Baton.Client;
using Baton.Hosting;
using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Baton.Tests.Infrastructure;

/// <summary>
/// A real multi-silo Orleans cluster (TestingHost, in process) in Postgres mode: ADO.NET
/// clustering, grain storage and reminders on a throwaway database, with failure detection
/// tuned so a killed silo is declared dead within seconds.
/// </summary>
public static class PostgresCluster
{
    private const string ConnectionKey = "Baton:Postgres";
    private const string ClusterIdKey = "Baton:ClusterId";
    private const string ServiceIdKey = "Baton:ServiceId";

    /// <param name="configure">Changes to the builder before it is built: extra configurators, TCP transport for external clients.</param>
    public static Task<TestCluster> StartAsync(string connectionString, int silos, string? serviceId = null, Action<TestClusterBuilder>? configure = null) =>
        StartCoreAsync(connectionString, silos, serviceId, configure ?? (_ => { }));

    /// <summary>As the other overload, with <typeparamref name="TConfigurator"/> applied to every silo after the Postgres wiring.</summary>
    public static Task<TestCluster> StartAsync<TConfigurator>(string connectionString, int silos, string? serviceId = null)
        where TConfigurator : ISiloConfigurator, new() =>
        StartCoreAsync(connectionString, silos, serviceId, builder => builder.AddSiloBuilderConfigurator<TConfigurator>());

    private static async Task<TestCluster> StartCoreAsync(string connectionString, int silos, string? serviceId, Action<TestClusterBuilder> configure)
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.Options.ClusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        builder.Options.ServiceId = serviceId ?? "svc-" + Guid.NewGuid().ToString("N")[..8];
        builder.Options.UseTestClusterMembership = false;
        builder.Properties[ConnectionKey] = connectionString;
        builder.Properties[ClusterIdKey] = builder.Options.ClusterId;
        builder.Properties[ServiceIdKey] = builder.Options.ServiceId;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        configure(builder);

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static BatonOptions Options(IConfiguration configuration) => new()
    {
        Postgres = configuration[ConnectionKey],
        ClusterId = configuration[ClusterIdKey]!,
        ServiceId = configuration[ServiceIdKey]!,
    };

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(Options(silo.Configuration));
            silo.Configure<ReminderOptions>(r => r.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client)
        {
            var options = Options(configuration);
            client.UseBaton(new BatonClientOptions { Postgres = options.Postgres, ClusterId = options.ClusterId, ServiceId = options.ServiceId });
        }
    }
}
