using System.Net.Sockets;
using Npgsql;
using Orleans.Runtime;
using Orleans.Networking.Shared;
using Orleans.Runtime.Messaging;

namespace Baton.Client;

/// <summary>Turns connection failures into the short phrases of a <see cref="BatonConnectionException"/>.</summary>
internal static class ConnectionFailure
{
    /// <summary>Where the client looks for the cluster: its gateways, or the PostgreSQL server of the membership table (never the password).</summary>
    public static string Where(BatonClientOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Postgres))
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(options.Postgres);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
            {
                throw new ArgumentException($"Baton:Postgres: not a valid PostgreSQL connection string ({ex.Message}).", nameof(options));
            }

            return $"PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}";
        }

        var gateways = options.Gateways.Count == 0 ? [BatonClientOptions.DefaultGateway] : options.Gateways;
        foreach (var gateway in gateways)
        {
            if (!GatewayAddress.TryParse(gateway, out _, out var error))
            {
                throw new ArgumentException($"Baton:Gateways: {error}", nameof(options));
            }
        }

        return string.Join(", ", gateways);
    }

    /// <summary>The most telling cause among the attempts' failures, latest first.</summary>
    public static string Cause(IReadOnlyList<Exception> failures)
    {
        for (var i = failures.Count - 1; i >= 0; i--)
        {
            if (Specific(failures[i]) is { } specific)
            {
                return specific;
            }
        }

        return OneLine(Innermost(failures[^1]).Message);
    }

    private static string? Specific(Exception exception)
    {
        foreach (var e in Chain(exception))
        {
            switch (e)
            {
                case SocketException socket:
                    return Describe(socket.SocketErrorCode, socket.Message);
                case SocketConnectionException connection:
                    // Orleans reports a failed connect as text ending in "Error: <SocketError>".
                    var marker = connection.Message.LastIndexOf("Error: ", StringComparison.Ordinal);
                    return marker >= 0 && Enum.TryParse<SocketError>(connection.Message[(marker + 7)..].TrimEnd('.'), out var error)
                        ? Describe(error, connection.Message)
                        : OneLine(connection.Message);
                case PostgresException postgres:
                    return $"PostgreSQL: {OneLine(postgres.MessageText)}";
                case NpgsqlException npgsql when npgsql.InnerException is null:
                    return $"PostgreSQL: {OneLine(npgsql.Message)}";
                case TimeoutException:
                    return "timed out";
                case ConnectionFailedException when e.Message.Contains("timed out", StringComparison.OrdinalIgnoreCase):
                    return "timed out";
                case SiloUnavailableException when e.Message.Contains("Could not find any gateway", StringComparison.Ordinal):
                    return "no silo is registered as a gateway";
            }
        }

        return null;
    }

    private static string Describe(SocketError error, string message) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
        SocketError.TimedOut => "timed out",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown => "host unreachable",
        SocketError.ConnectionReset or SocketError.ConnectionAborted => "connection reset",
        _ => OneLine(message),
    };

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        yield return exception;
        if (exception is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions)
            {
                foreach (var e in Chain(inner))
                {
                    yield return e;
                }
            }
        }
        else if (exception.InnerException is { } inner)
        {
            foreach (var e in Chain(inner))
            {
                yield return e;
            }
        }
    }

    private static Exception Innermost(Exception exception) => Chain(exception).Last();

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
