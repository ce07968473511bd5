using Baton.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Runtime;

namespace Baton.Hosting;

/// <summary>
/// Runs the PostgreSQL schema migration first thing in the silo lifecycle, before clustering,
/// storage and reminders load their queries. A database that cannot be reached stops start-up
/// with one line naming <c>Baton:Postgres</c> and the cause (never the password).
/// </summary>
internal sealed class SchemaMigration(string connectionString, ILogger<SchemaMigration> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(SchemaMigration), ServiceLifecycleStage.First, MigrateAsync);

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PostgresSchema.MigrateAsync(connectionString, logger, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new BatonStartupException($"Baton:Postgres: cannot use the database {Describe(connectionString)}: {Cause(ex)}", ex);
        }
    }

    internal static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"'{builder.Database ?? builder.Username}' at {builder.Host}:{builder.Port}";
    }

    private static string Cause(Exception ex)
    {
        var innermost = ex;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost == ex ? ex.Message : $"{ex.Message} ({innermost.Message})";
    }
}
