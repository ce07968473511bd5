using Npgsql;

namespace Baton.Postgres.Storage;

/// <summary>
/// Writes the side rows a grain state carries (<see cref="Baton.Grains.Common.ICarriesSideWrite"/>) in the state
/// write's own statement: <see cref="PostgresGrainStorage"/> asks the writer that accepts them for data-modifying
/// statements and runs each as a common table expression beside the state's UPDATE or INSERT, guarded by a condition
/// that holds only when the state write passed its version check. The rows therefore commit exactly when the state
/// does; a write that lost its version check leaves nothing behind.
/// </summary>
public interface IPostgresSideWriter
{
    /// <summary>Whether this writer writes <paramref name="sideWrite"/>.</summary>
    bool Accepts(object sideWrite);

    /// <summary>
    /// The statements (INSERT/UPDATE/DELETE, no trailing semicolon) that write <paramref name="sideWrite"/>, each
    /// running only when the SQL condition <paramref name="onlyIf"/> holds. Parameters are positional: a statement
    /// refers to <c>$n</c> where n is the position its value takes when added to <paramref name="parameters"/>, which
    /// already holds the state write's own parameters. <paramref name="firstWrite"/> is true when the state write is an
    /// insert that succeeds only if no state of the grain is stored: no rows an earlier state wrote can exist then.
    /// </summary>
    IReadOnlyList<string> Statements(object sideWrite, NpgsqlParameterCollection parameters, string onlyIf, bool firstWrite);
}

/// <summary>Helpers for <see cref="IPostgresSideWriter.Statements"/>.</summary>
public static class PositionalParameters
{
    /// <summary>Adds <paramref name="parameter"/> to <paramref name="parameters"/> and returns how SQL refers to it (<c>$n</c>).</summary>
    public static string Add(NpgsqlParameterCollection parameters, NpgsqlParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Add(parameter);
        return "$" + parameters.Count;
    }
}
