using Orleans.Runtime;

namespace Baton.Client.Cluster;

/// <summary>
/// One silo as the cluster's membership knows it.
/// </summary>
/// <param name="Address">The silo-to-silo endpoint, <c>ip:port</c>.</param>
/// <param name="Generation">Tells apart successive silos on the same endpoint (a restart gets a new one).</param>
/// <param name="Name">The silo's name within the cluster.</param>
/// <param name="Host">The machine's host name.</param>
/// <param name="Status">Membership status: Joining, Active, ShuttingDown, Stopping, Dead…</param>
/// <param name="StartedAt">When the silo started (UTC).</param>
/// <param name="Activations">Grain activations on the silo; null when the silo is not active or did not answer.</param>
public sealed record SiloStatusRow(
    string Address,
    int Generation,
    string Name,
    string Host,
    SiloStatus Status,
    DateTimeOffset StartedAt,
    int? Activations);
