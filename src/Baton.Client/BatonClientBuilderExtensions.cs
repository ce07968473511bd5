using System.Net;
using System.Net.Sockets;
using Baton.Contracts;
using Baton.Postgres.Streams;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Baton.Client;

public static class BatonClientBuilderExtensions
{

    /// <summary>Connects an Orleans client to a Baton cluster: clustering, cluster ids and streams.</summary>
    public static IClientBuilder UseBaton(this IClientBuilder client, BatonClientOptions options)
    {
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        if (!string.IsNullOrWhiteSpace(options.Postgres))
        {
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = options.Postgres;
            });

            // Clients may publish too; their events go to the same durable queues the silos read.
            client.AddBatonPostgresStreams(options.Postgres);
        }
        else
        {
            var gateways = options.Gateways.Count == 0 ? [BatonClientOptions.DefaultGateway] : options.Gateways;
            client.UseStaticClustering(gateways.Select(Resolve).ToArray());
            client.AddMemoryStreams(BatonStreams.Provider);
        }

        return client;
    }

    private static IPEndPoint Resolve(string gateway)
    {
        if (!GatewayAddress.TryParse(gateway, out var address, out var error))
        {
            throw new ArgumentException($"Baton:Gateways: {error}");
        }

        if (IPAddress.TryParse(address.Host, out var ip))
        {
            return new IPEndPoint(ip, address.Port);
        }

        var addresses = Dns.GetHostAddresses(address.Host);
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"Baton:Gateways: '{address.Host}' does not resolve to an address.");
        return new IPEndPoint(chosen, address.Port);
    }
}
