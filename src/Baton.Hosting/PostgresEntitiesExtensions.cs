using Baton.Grains.Entities;
using Baton.Postgres.Entities;
using Baton.Postgres.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting;

internal static class PostgresEntitiesExtensions
{
    /// <summary>
    /// Postgres mode: entities keep their field history and remembered answers in PostgreSQL
    /// (<see cref="PostgresEntityHistoryStore"/>, tables of migration 0009) instead of the in-memory store that
    /// <see cref="EntityServiceCollectionExtensions.AddBatonEntities"/> registers.
    /// </summary>
    public static ISiloBuilder AddBatonPostgresEntities(this ISiloBuilder silo, string connectionString)
    {
        silo.Services.RemoveAll<IEntityHistoryStore>();
        silo.Services.AddSingleton(sp =>
            new PostgresEntityHistoryStore(connectionString, sp.GetRequiredService<ILogger<PostgresEntityHistoryStore>>()));
        silo.Services.AddSingleton<IEntityHistoryStore>(sp => sp.GetRequiredService<PostgresEntityHistoryStore>());

        // A mutation's history rows are written in its state's transaction by the grain storage (one commit, not two).
        silo.Services.AddSingleton<IPostgresSideWriter>(sp => sp.GetRequiredService<PostgresEntityHistoryStore>());
        return silo;
    }
}
