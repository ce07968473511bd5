using System.Globalization;
using Baton.Client;
using Baton.Contracts;
using Baton.Grains.Events;
using Baton.Hosting;
using Baton.Postgres.Streams;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Baton.Tests.Streams;

/// <summary>
/// A TestingHost cluster in Postgres mode (as <c>PostgresCluster</c>: ADO.NET clustering, storage
/// and reminders, a killed silo declared dead within seconds) whose stream provider "baton" is
/// the PostgreSQL queue, with the queue and pulling-agent timings a test chooses.
/// </summary>
public static class StreamsCluster
{
    private const string Prefix = "BatonStreamsTest:";

    public sealed record Timings(TimeSpan Lease, int MaxAttempts, TimeSpan MaxEventDeliveryTime, TimeSpan RedeliveryDelay);

    public static async Task<TestCluster> StartAsync(string connectionString, int silos, Timings timings)
    {
        var builder = new TestClusterBuilder((short)silos);
        builder.Options.ClusterId = "streams-" + Guid.NewGuid().ToString("N")[..8];
        builder.Options.ServiceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        builder.Options.UseTestClusterMembership = false;
        builder.Properties[Prefix + "Postgres"] = connectionString;
        builder.Properties[Prefix + "ClusterId"] = builder.Options.ClusterId;
        builder.Properties[Prefix + "ServiceId"] = builder.Options.ServiceId;
        builder.Properties[Prefix + "LeaseMs"] = Ms(timings.Lease);
        builder.Properties[Prefix + "MaxAttempts"] = timings.MaxAttempts.ToString(CultureInfo.InvariantCulture);
        builder.Properties[Prefix + "DeliveryMs"] = Ms(timings.MaxEventDeliveryTime);
        builder.Properties[Prefix + "RedeliveryMs"] = Ms(timings.RedeliveryDelay);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private static string Ms(TimeSpan value) => ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    private static TimeSpan Ms(IConfiguration configuration, string key) =>
        TimeSpan.FromMilliseconds(long.Parse(configuration[Prefix + key]!, CultureInfo.InvariantCulture));

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var configuration = silo.Configuration;
            silo.AddBatonServices(new BatonOptions
            {
                Postgres = configuration[Prefix + "Postgres"],
                ClusterId = configuration[Prefix + "ClusterId"]!,
                ServiceId = configuration[Prefix + "ServiceId"]!,
            });
            silo.Services.Configure<PostgresStreamOptions>(BatonStreams.Provider, o =>
            {
                o.Lease = Ms(configuration, "LeaseMs");
                o.MaxAttempts = int.Parse(configuration[Prefix + "MaxAttempts"]!, CultureInfo.InvariantCulture);
                o.RedeliveryDelay = Ms(configuration, "RedeliveryMs");
                o.PollInterval = TimeSpan.FromMilliseconds(50);
            });
            silo.Services.Configure<StreamPullingAgentOptions>(BatonStreams.Provider, o => o.MaxEventDeliveryTime = Ms(configuration, "DeliveryMs"));
            // Calls caught on a killed silo fail fast and are retried, instead of waiting 30 s.
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
            silo.Configure<ReminderOptions>(r => r.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Services.Configure<EventOutboxOptions>(o => o.RetryPeriod = TimeSpan.FromSeconds(1));
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
            client.UseBaton(new BatonClientOptions
            {
                Postgres = configuration[Prefix + "Postgres"],
                ClusterId = configuration[Prefix + "ClusterId"]!,
                ServiceId = configuration[Prefix + "ServiceId"]!,
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        }
    }
}
