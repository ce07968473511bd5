using Npgsql;

namespace Baton.Postgres.Storage;

/// <summary>
/// Writes the side rows a grain state carries (<see cref="Baton.Grains.Common.ICarriesSideWrite"/>) into the grain
/// storage's own transaction: <see cref="PostgresGrainStorage"/> asks each registered writer to add its statements to
/// the batch of a group, after the state writes. The rows commit with the states of the group, whether or not each
/// state's version check passed, so a writer's rows must be harmless when their state write lost (invisible to readers
/// until a state refers to them).
/// </summary>
public interface IPostgresSideWriter
{
    /// <summary>Whether this writer writes <paramref name="sideWrite"/>.</summary>
    bool Accepts(object sideWrite);

    /// <summary>Adds the statements that write <paramref name="sideWrites"/> (all accepted by this writer) to <paramref name="batch"/>.</summary>
    void AddCommands(NpgsqlBatch batch, IReadOnlyList<object> sideWrites);
}
