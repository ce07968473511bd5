using System.Text.Json;
using Baton.Contracts.Locks;
using Baton.Contracts.Owners;
using Baton.Grains.Owners;
using Baton.Postgres.Storage;
using Npgsql;

namespace Baton.Postgres.Locks;

/// <summary>
/// The owner index of Postgres mode (table <c>baton_lock_owner_index</c>, migration 0011). A lock hands its rows
/// (<see cref="LockOwnerRows"/>) to its state write; this side writer turns them into two statements of that write:
/// delete the lock's entries that are gone, upsert the current ones (a heartbeat moves a lease's expiry; an entry that
/// did not change is not rewritten, so a lock with a long queue does not rewrite it on every command). Both run
/// only if the state write passed its version check, so the index is exactly what the committed lock states say.
/// The delete is skipped when nothing of the lock can be stored: for its first write (an insert of its state), and for
/// a write replacing a state that had no holder and no waiter (<see cref="LockOwnerRows.ReplacedHadEntries"/>),
/// such as a grant on an idle lock. Rows are only ever written beside their state, so that state left none.
/// </summary>
public sealed class PostgresLockOwnerIndex(string connectionString, string serviceId) : ILockOwnerIndex, IPostgresSideWriter, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public bool Accepts(object sideWrite) => sideWrite is LockOwnerRows;

    public IReadOnlyList<string> Statements(object sideWrite, NpgsqlParameterCollection parameters, string onlyIf, bool firstWrite)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var rows = (LockOwnerRows)sideWrite;
        string P(NpgsqlParameter parameter) => Storage.PositionalParameters.Add(parameters, parameter);

        var entries = rows.Held.Select(l => (Entry: "held:" + l.LeaseId, l.Owner, Held: true, Payload: JsonSerializer.Serialize(l)))
            .Concat(rows.Waiting.Select(w => (Entry: "wait:" + w.Wait.RequestId, w.Owner, Held: false, Payload: JsonSerializer.Serialize(w.Wait))))
            .ToList();
        // A lock's first state, or one replacing a state without entries, has no stored rows to take back.
        var takeBack = !firstWrite && rows.ReplacedHadEntries;
        if (!takeBack && entries.Count == 0)
        {
            return [];
        }

        var service = P(new NpgsqlParameter<string> { TypedValue = serviceId });
        var key = P(new NpgsqlParameter<string> { TypedValue = rows.Key });
        var ids = P(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Entry)] });
        var statements = new List<string>(2);
        if (takeBack)
        {
            statements.Add(
                $"""
                 DELETE FROM baton_lock_owner_index
                 WHERE service_id = {service}::text AND lock_key = {key}::text AND NOT (entry = ANY({ids}::text[])) AND {onlyIf}
                 """);
        }

        if (entries.Count > 0)
        {
            statements.Add(
                $"""
                 INSERT INTO baton_lock_owner_index (service_id, lock_key, entry, owner, held, payload)
                 SELECT {service}::text, {key}::text, e.entry, e.owner, e.held, e.payload
                 FROM unnest({ids}::text[],
                             {P(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Owner)] })}::text[],
                             {P(new NpgsqlParameter<bool[]> { TypedValue = [.. entries.Select(e => e.Held)] })}::boolean[],
                             {P(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Payload)] })}::text[])
                      AS e(entry, owner, held, payload)
                 WHERE {onlyIf}
                 ON CONFLICT (service_id, lock_key, entry) DO UPDATE SET payload = EXCLUDED.payload
                     WHERE baton_lock_owner_index.payload IS DISTINCT FROM EXCLUDED.payload
                 """);
        }

        return statements;
    }

    public async Task<OwnerLocks> ReadAsync(string owner, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT held, payload FROM baton_lock_owner_index WHERE service_id = $1 AND owner = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var held = new List<LockLease>();
        var waiting = new List<OwnerWait>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(0))
            {
                held.Add(JsonSerializer.Deserialize<LockLease>(reader.GetString(1))!);
            }
            else
            {
                waiting.Add(JsonSerializer.Deserialize<OwnerWait>(reader.GetString(1))!);
            }
        }

        return LockOwnerRows.Listing(owner, held, waiting);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
