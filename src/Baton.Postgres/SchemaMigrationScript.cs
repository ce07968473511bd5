using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Baton.Postgres;

/// <summary>
/// One numbered migration embedded from <c>Sql/NNNN_name.sql</c>. The checksum is taken over the
/// script with normalised line endings, so a Windows checkout does not look like an edit.
/// </summary>
internal sealed record SchemaMigrationScript(int Id, string Name, string Sql, string Checksum)
{
    private static readonly Regex ResourceName = new(@"\.Sql\.(?<id>\d{4})_(?<name>[a-z0-9_]+)\.sql$", RegexOptions.CultureInvariant);

    private static readonly Lazy<IReadOnlyList<SchemaMigrationScript>> Embedded = new(() => Load(typeof(SchemaMigrationScript).Assembly));

    /// <summary><c>0001_orleans_query_table</c>: how the migration is named in logs and errors.</summary>
    public string Label => $"{Id:D4}_{Name}";

    /// <summary>The migrations this build carries, ordered by id.</summary>
    public static IReadOnlyList<SchemaMigrationScript> All => Embedded.Value;

    internal static IReadOnlyList<SchemaMigrationScript> Load(Assembly assembly)
    {
        var scripts = new List<SchemaMigrationScript>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var match = ResourceName.Match(resource);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Embedded SQL resource '{resource}' is not named Sql/NNNN_lower_snake_name.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Embedded SQL resource '{resource}' cannot be opened.");
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var sql = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            scripts.Add(new SchemaMigrationScript(int.Parse(match.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["name"].Value, sql, checksum));
        }

        scripts.Sort((a, b) => a.Id.CompareTo(b.Id));
        for (var i = 0; i < scripts.Count; i++)
        {
            // Gaps or duplicates mean a botched merge; refusing here beats a half-migrated database.
            if (scripts[i].Id != i + 1)
            {
                throw new InvalidOperationException($"Schema migrations must be numbered 0001, 0002, … without gaps or duplicates; found {string.Join(", ", scripts.Select(s => s.Label))}.");
            }
        }

        return scripts;
    }
}
