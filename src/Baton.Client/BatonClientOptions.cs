namespace Baton.Client;

/// <summary>
/// How a .NET client reaches a Baton cluster. The client path is for the trusted cluster
/// network: it is not authenticated, and callers pass their principal id explicitly.
/// </summary>
public sealed class BatonClientOptions
{
    /// <summary>Gateways as <c>host:port</c>; used when <see cref="Postgres"/> is not set. Default <c>localhost:30000</c>.</summary>
    public List<string> Gateways { get; set; } = [];

    /// <summary>With a connection string, gateways are discovered from the cluster's membership table.</summary>
    public string? Postgres { get; set; }

    public string ClusterId { get; set; } = "baton";

    public string ServiceId { get; set; } = "baton";

    /// <summary>How long <see cref="BatonClient.ConnectAsync(BatonClientOptions, CancellationToken)"/> keeps
    /// trying before it gives up. Short by default so a command line fails fast when no cluster is there.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    public const string DefaultGateway = "localhost:30000";
}
