using Microsoft.Extensions.Logging;

namespace Baton.Postgres;

/// <summary>
/// Creates or migrates Baton's PostgreSQL schema: the Orleans ADO.NET query contract
/// (clustering, persistence, reminders) and Baton's own tables. Idempotent, and safe when
/// several silos start at once.
/// </summary>
public static class PostgresSchema
{
    public static Task MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
        => throw new NotImplementedException("written by the schema work");
}
