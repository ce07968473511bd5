using Xunit;

using System.Data;
using Npgsql;

namespace Baton.Tests.Postgres;

/// <summary>
/// Runs the queries stored in <c>orleansquery</c> the way Orleans' ADO.NET providers do: loaded
/// with the providers' own unquoted loader SQL, one command per call, no transaction, named
/// parameters whose <see cref="DbType"/> follows the .NET type of the value (Orleans'
/// <c>DbExtensions</c> map), and every row of every result set read back.
/// </summary>
internal sealed class StoredQueries
{
    /// <summary>Verbatim the statement the clustering and reminder providers run at start-up.</summary>
    public const string LoaderSql = "SELECT QueryKey, QueryText FROM OrleansQuery";

    private readonly string _connectionString;

    private StoredQueries(string connectionString, IReadOnlyDictionary<string, string> texts)
    {
        _connectionString = connectionString;
        Texts = texts;
    }

    public IReadOnlyDictionary<string, string> Texts { get; }

    public static async Task<StoredQueries> LoadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(LoaderSql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            // Orleans reads by name; the case-insensitive fallback must find the lowercase columns.
            texts.Add((string)reader["QueryKey"], (string)reader["QueryText"]);
        }

        return new StoredQueries(connectionString, texts);
    }

    public async Task<IReadOnlyList<ResultRow>> ReadAsync(string key, params QueryParameter[] parameters)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Texts[key], connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter
            {
                ParameterName = parameter.Name,
                Value = parameter.Value ?? DBNull.Value,
                DbType = parameter.DbType,
            });
        }

        var rows = new List<ResultRow>();
        await using var reader = await command.ExecuteReaderAsync();
        do
        {
            while (await reader.ReadAsync())
            {
                var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
                var values = new object?[reader.FieldCount];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(new ResultRow(names, values));
            }
        }
        while (await reader.NextResultAsync());

        return rows;
    }

    /// <summary>Orleans' <c>GetSingleBooleanValue</c>: exactly one column, first row, <see cref="Convert.ToBoolean(object)"/>.</summary>
    public async Task<bool> ReadBooleanAsync(string key, params QueryParameter[] parameters)
    {
        var rows = await ReadAsync(key, parameters);
        Assert.NotEmpty(rows);
        Assert.Equal(1, rows[0].FieldCount);
        Assert.NotNull(rows[0][0]);
        return Convert.ToBoolean(rows[0][0], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A parameter typed like Orleans types it: the DbType comes from the static .NET type.</summary>
internal readonly record struct QueryParameter(string Name, object? Value, DbType DbType)
{
    public static QueryParameter Of<T>(string name, T value) => new(name, value, DbTypeOf(typeof(T)));

    private static DbType DbTypeOf(Type type) => type switch
    {
        _ when type == typeof(int) || type == typeof(int?) => DbType.Int32,
        _ when type == typeof(long) || type == typeof(long?) => DbType.Int64,
        _ when type == typeof(string) => DbType.String,
        _ when type == typeof(byte[]) => DbType.Binary,
        _ when type == typeof(DateTime) || type == typeof(DateTime?) => DbType.DateTime,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Orleans binds no parameter of this type."),
    };
}

/// <summary>One result row; columns are found by name the way Npgsql's GetOrdinal does (exact, then case-insensitive).</summary>
internal sealed class ResultRow(string[] names, object?[] values)
{
    public int FieldCount => values.Length;

    public object? this[int ordinal] => values[ordinal];

    public object? this[string name]
    {
        get
        {
            var ordinal = Array.IndexOf(names, name);
            if (ordinal < 0)
            {
                ordinal = Array.FindIndex(names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
            }

            return ordinal >= 0 ? values[ordinal] : throw new KeyNotFoundException($"Column '{name}' is not in the result ({string.Join(", ", names)}).");
        }
    }
}
