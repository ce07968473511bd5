using System.CommandLine;
using System.Globalization;
using Baton.Client;

namespace Baton.Cli;

/// <summary>
/// The options every command shares: where the cluster is. Each falls back to the same
/// <c>Baton__*</c> environment variables the silo reads, then to the dev-mode defaults.
/// </summary>
public sealed class ConnectionSettings
{
    public Option<string[]> Gateway { get; } = new("--gateway")
    {
        Description = $"A gateway as host:port; repeat for several. Default: Baton__Gateways__0.. or {BatonClientOptions.DefaultGateway}.",
        HelpName = "host:port",
        Recursive = true,
    };

    public Option<string> Postgres { get; } = new("--postgres")
    {
        Description = "PostgreSQL connection string; gateways are found in the cluster's membership table. Default: Baton__Postgres.",
        HelpName = "connection-string",
        Recursive = true,
    };

    public Option<string> ClusterId { get; } = new("--cluster-id")
    {
        Description = "Cluster id. Default: Baton__ClusterId or \"baton\".",
        Recursive = true,
    };

    public Option<string> ServiceId { get; } = new("--service-id")
    {
        Description = "Service id. Default: Baton__ServiceId or \"baton\".",
        Recursive = true,
    };

    public Option<double?> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = $"Seconds to keep trying to connect. Default: {BatonClientOptions.DefaultConnectTimeout.TotalSeconds}.",
        HelpName = "seconds",
        Recursive = true,
    };

    public ConnectionSettings()
    {
        Gateway.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!GatewayAddress.TryParse(token.Value, out _, out var error))
                {
                    result.AddError($"--gateway: {error}");
                }
            }
        });
        ConnectTimeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is { } seconds && (seconds <= 0 || seconds > 3600))
            {
                result.AddError("--connect-timeout: must be more than 0 and at most 3600 seconds.");
            }
        });
    }

    public IEnumerable<Option> All => [Gateway, Postgres, ClusterId, ServiceId, ConnectTimeout];

    /// <summary>
    /// Client options from the command line, else the environment, else defaults. A gateway or
    /// connection string given on the command line wins over either one from the environment.
    /// </summary>
    public BatonClientOptions Resolve(ParseResult parse, Func<string, string?> environment)
    {
        var gateways = parse.GetValue(Gateway) ?? [];
        var postgres = parse.GetValue(Postgres);
        if (gateways.Length > 0 && !string.IsNullOrWhiteSpace(postgres))
        {
            throw new UsageException("use either --gateway or --postgres, not both.");
        }

        var options = new BatonClientOptions
        {
            ClusterId = parse.GetValue(ClusterId) ?? environment("Baton__ClusterId") ?? "baton",
            ServiceId = parse.GetValue(ServiceId) ?? environment("Baton__ServiceId") ?? "baton",
        };

        if (parse.GetValue(ConnectTimeout) is { } seconds)
        {
            options.ConnectTimeout = TimeSpan.FromSeconds(seconds);
        }

        if (gateways.Length > 0)
        {
            options.Gateways.AddRange(gateways);
        }
        else if (!string.IsNullOrWhiteSpace(postgres))
        {
            options.Postgres = postgres;
        }
        else if (environment("Baton__Postgres") is { Length: > 0 } fromEnvironment)
        {
            options.Postgres = fromEnvironment;
        }
        else
        {
            options.Gateways.AddRange(GatewaysFromEnvironment(environment));
        }

        return options;
    }

    private static IEnumerable<string> GatewaysFromEnvironment(Func<string, string?> environment)
    {
        for (var i = 0; ; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"Baton__Gateways__{i}");
            if (environment(name) is not { Length: > 0 } gateway)
            {
                yield break;
            }

            if (!GatewayAddress.TryParse(gateway, out _, out var error))
            {
                throw new UsageException($"{name}: {error}");
            }

            yield return gateway;
        }
    }
}
