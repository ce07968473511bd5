using System.Net.Sockets;
using Baton.Client;

namespace Baton.Cli;

/// <summary>
/// Leaves out gateways that do not accept a TCP connection before the Orleans client starts.
/// Orleans keeps a dead static gateway in its list and may route its first request through it,
/// which stalls the start for seconds; a command that lives for seconds should not wait on it.
/// A long-lived client should keep every gateway, so this belongs to the command line, not the SDK.
/// </summary>
public static class GatewayProbe
{
    private static readonly TimeSpan MaxProbe = TimeSpan.FromSeconds(2);

    /// <summary>The gateways that accept a connection, in their order; all of them when none does, so the error names every one.</summary>
    public static async Task<List<string>> ReachableAsync(IReadOnlyList<string> gateways, TimeSpan timeout, CancellationToken ct)
    {
        if (gateways.Count < 2)
        {
            return [.. gateways];
        }

        using var probe = CancellationTokenSource.CreateLinkedTokenSource(ct);
        probe.CancelAfter(timeout < MaxProbe ? timeout : MaxProbe);
        var answers = await Task.WhenAll(gateways.Select(g => AcceptsAsync(g, probe.Token)));
        ct.ThrowIfCancellationRequested();
        var reachable = gateways.Where((_, i) => answers[i]).ToList();
        return reachable.Count > 0 ? reachable : [.. gateways];
    }

    private static async Task<bool> AcceptsAsync(string gateway, CancellationToken ct)
    {
        if (!GatewayAddress.TryParse(gateway, out var address, out _))
        {
            return false;
        }

        try
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(address.Host, address.Port, ct);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
