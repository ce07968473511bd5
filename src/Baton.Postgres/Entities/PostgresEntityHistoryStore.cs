using System.Text.Json;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Baton.Postgres.Entities;

/// <summary>
/// The <see cref="IEntityHistoryStore"/> of Postgres mode: tables <c>baton_entity_history</c> and
/// <c>baton_entity_requests</c> (migration 0009, which explains the visibility rule). Appends from all entity
/// activations of this silo are grouped: one write loop drains a channel and sends whatever is waiting as one batch
/// (multi-row inserts via <c>unnest</c>, one implicit transaction, one round trip); each caller completes when its
/// rows are committed. With the Postgres grain storage, an applied change's rows are not appended this way but written
/// in its state's own statement (<see cref="Statements"/>), and only if that state write wins.
/// </summary>
public sealed class PostgresEntityHistoryStore : IEntityHistoryStore, Storage.IPostgresSideWriter, IAsyncDisposable
{
    private const int MaxBatch = 512;

    private const string Visible = "(version < @version OR (version = @version AND (@change_id::text IS NULL OR change_id = @change_id)))";

    private const string VisibleAnswer = "(version < @version OR (version = @version AND (change_id = '' OR @change_id::text IS NULL OR change_id = @change_id)))";

    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommit<EntityRecord, bool> _appends;

    public PostgresEntityHistoryStore(string connectionString, ILogger<PostgresEntityHistoryStore> logger)
    {
        // No session state is used (no advisory locks, no temp tables): a pooled connection needs no reset on reuse.
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true });
        _appends = new GroupCommit<EntityRecord, bool>("entity history appends", MaxBatch, InsertAsync, logger);
    }

    public Task AppendAsync(EntityRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _appends.WriteAsync(record, cancellationToken);
    }

    public async Task<IReadOnlyList<FieldTransition>> QueryAsync(
        string key, EntityVisibility visible, string? field, DateTimeOffset? since, int limit, CancellationToken cancellationToken = default)
    {
        EntityHistory.ValidateLimit(limit);

        // Two texts, so each gets the plan of its index: the field's (entity, field, version) or the entity's primary key.
        await using var command = _dataSource.CreateCommand(field is null
            ? $"""
               SELECT field, from_value, to_value, at, actor, version FROM baton_entity_history
               WHERE entity = @entity AND {Visible} AND (@since::timestamptz IS NULL OR at >= @since)
               ORDER BY version DESC, field DESC LIMIT @limit
               """
            : $"""
               SELECT field, from_value, to_value, at, actor, version FROM baton_entity_history
               WHERE entity = @entity AND field = @field AND {Visible} AND (@since::timestamptz IS NULL OR at >= @since)
               ORDER BY version DESC LIMIT @limit
               """);
        AddVisibility(command, key, visible);
        if (field is not null)
        {
            command.Parameters.AddWithValue("field", field);
        }

        command.Parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = since is { } s ? s.UtcDateTime : DBNull.Value });
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var transitions = new List<FieldTransition>();
        while (await reader.ReadAsync(cancellationToken))
        {
            transitions.Add(new FieldTransition
            {
                Field = reader.GetString(0),
                From = reader.IsDBNull(1) ? null : reader.GetString(1),
                To = reader.IsDBNull(2) ? null : reader.GetString(2),
                At = new DateTimeOffset(reader.GetFieldValue<DateTime>(3), TimeSpan.Zero),
                Actor = reader.GetString(4),
                Version = reader.GetInt64(5),
            });
        }

        return transitions;
    }

    public async Task<int> CountAsync(string key, EntityVisibility visible, string field, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(
            $"SELECT count(*)::int FROM baton_entity_history WHERE entity = @entity AND field = @field AND {Visible} AND at >= @from AND at <= @to");
        AddVisibility(command, key, visible);
        command.Parameters.AddWithValue("field", field);
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<RememberedMutation>> RequestsAsync(
        string key, EntityVisibility visible, DateTimeOffset notBefore, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(
            $"""
             SELECT request_id, fingerprint, at, version, state, changed_fields, change_id, created FROM baton_entity_requests
             WHERE entity = @entity AND {VisibleAnswer} AND at >= @not_before
             ORDER BY at DESC LIMIT @limit
             """);
        AddVisibility(command, key, visible);
        command.Parameters.AddWithValue("not_before", notBefore.UtcDateTime);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var answers = new List<RememberedMutation>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var changeId = reader.GetString(6);
            answers.Add(new RememberedMutation
            {
                RequestId = reader.GetString(0),
                Fingerprint = reader.GetString(1),
                At = new DateTimeOffset(reader.GetFieldValue<DateTime>(2), TimeSpan.Zero),
                Result = new MutateResult
                {
                    Version = reader.GetInt64(3),
                    State = reader.GetString(4),
                    ChangedFields = JsonSerializer.Deserialize<List<string>>(reader.GetString(5)) ?? [],
                    ChangeId = changeId.Length == 0 ? null : changeId,
                    Created = reader.GetBoolean(7),
                },
            });
        }

        return answers;
    }

    public async Task PruneAsync(string key, EntityVisibility visible, DateTimeOffset now, EntityOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var history = options.History;

        // EntityHistory.Prune in SQL: drop what is older than max_age, then the oldest droppable transitions beyond
        // max_transitions; a field's latest transition is never droppable (so max_transitions counts it too).
        await using var batch = _dataSource.CreateBatch();
        var transitions = new NpgsqlBatchCommand(
            $"""
             WITH shown AS (
                 SELECT version, field, change_id, at,
                        row_number() OVER (PARTITION BY field ORDER BY version DESC) AS field_rank
                 FROM baton_entity_history
                 WHERE entity = @entity AND {Visible}),
             droppable AS (SELECT version, field, change_id, at FROM shown WHERE field_rank > 1),
             young AS (
                 SELECT version, field, change_id, row_number() OVER (ORDER BY version DESC, field DESC) AS kept_rank
                 FROM droppable WHERE @cutoff::timestamptz IS NULL OR at >= @cutoff),
             fields AS (SELECT count(*) AS latest FROM shown WHERE field_rank = 1)
             DELETE FROM baton_entity_history h
             USING droppable d
                   LEFT JOIN young y ON y.version = d.version AND y.field = d.field AND y.change_id = d.change_id
                   CROSS JOIN fields f
             WHERE h.entity = @entity AND h.version = d.version AND h.field = d.field AND h.change_id = d.change_id
               AND (y.kept_rank IS NULL OR (@max::bigint IS NOT NULL AND y.kept_rank > @max - f.latest))
             """);
        AddVisibility(transitions, key, visible);
        transitions.Parameters.Add(new NpgsqlParameter("cutoff", NpgsqlDbType.TimestampTz) { Value = history.MaxAge is { } age ? (now - age).UtcDateTime : DBNull.Value });
        transitions.Parameters.Add(new NpgsqlParameter("max", NpgsqlDbType.Bigint) { Value = history.MaxTransitions is { } max ? (long)max : DBNull.Value });
        batch.BatchCommands.Add(transitions);

        var answers = new NpgsqlBatchCommand(
            $"""
             WITH shown AS (
                 SELECT request_id, change_id, at, row_number() OVER (ORDER BY at DESC) AS rank
                 FROM baton_entity_requests
                 WHERE entity = @entity AND {VisibleAnswer})
             DELETE FROM baton_entity_requests r USING shown s
             WHERE r.entity = @entity AND r.request_id = s.request_id AND r.change_id = s.change_id
               AND (s.at < @not_before OR s.rank > @keep)
             """);
        AddVisibility(answers, key, visible);
        answers.Parameters.AddWithValue("not_before", (now - options.RememberRequestsFor).UtcDateTime);
        answers.Parameters.AddWithValue("keep", Math.Max(1, options.RememberedRequests));
        batch.BatchCommands.Add(answers);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _appends.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    private static void AddVisibility(NpgsqlCommand command, string key, EntityVisibility visible) =>
        AddVisibility(command.Parameters, key, visible);

    private static void AddVisibility(NpgsqlBatchCommand command, string key, EntityVisibility visible) =>
        AddVisibility(command.Parameters, key, visible);

    private static void AddVisibility(NpgsqlParameterCollection parameters, string key, EntityVisibility visible)
    {
        parameters.AddWithValue("entity", key);
        parameters.AddWithValue("version", visible.Version);
        parameters.Add(new NpgsqlParameter("change_id", NpgsqlDbType.Text) { Value = (object?)visible.ChangeId ?? DBNull.Value });
    }

    public bool Accepts(object sideWrite) => sideWrite is EntityRecord;

    /// <summary>
    /// An entity's record written in its state's own statement (Postgres grain storage): its transitions and its answer,
    /// each only if the state write passed its version check. A write that lost leaves no rows, so nothing needs tidying
    /// after it (the tidying in <see cref="AddCommands"/> is for records appended before their state).
    /// </summary>
    public IReadOnlyList<string> Statements(object sideWrite, NpgsqlParameterCollection parameters, string onlyIf, bool firstWrite)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var record = (EntityRecord)sideWrite;
        string P(NpgsqlParameter parameter) => Storage.PositionalParameters.Add(parameters, parameter);

        var statements = new List<string>(2);
        if (record.ChangeId is { } changeId && record.Transitions.Count > 0)
        {
            var t = record.Transitions;
            statements.Add(
                $"""
                 INSERT INTO baton_entity_history (entity, version, field, change_id, from_value, to_value, at, actor)
                 SELECT {P(new NpgsqlParameter<string> { TypedValue = record.Key })}::text, {P(new NpgsqlParameter<long> { TypedValue = record.Version })}::bigint,
                        t.field, {P(new NpgsqlParameter<string> { TypedValue = changeId })}::text, t.from_value, t.to_value, t.at, t.actor
                 FROM unnest({P(new NpgsqlParameter<string[]> { TypedValue = [.. t.Select(x => x.Field)] })}::text[],
                             {P(Texts(string.Empty, t.Select(x => x.From)))}::text[],
                             {P(Texts(string.Empty, t.Select(x => x.To)))}::text[],
                             {P(new NpgsqlParameter<DateTime[]> { TypedValue = [.. t.Select(x => x.At.UtcDateTime)] })}::timestamptz[],
                             {P(new NpgsqlParameter<string[]> { TypedValue = [.. t.Select(x => x.Actor)] })}::text[])
                      AS t(field, from_value, to_value, at, actor)
                 WHERE {onlyIf}
                 ON CONFLICT DO NOTHING
                 """);
        }

        if (record.Request is { } answer)
        {
            statements.Add(
                $"""
                 INSERT INTO baton_entity_requests (entity, request_id, change_id, version, fingerprint, at, state, changed_fields, created)
                 SELECT {P(new NpgsqlParameter<string> { TypedValue = record.Key })}::text, {P(new NpgsqlParameter<string> { TypedValue = answer.RequestId })}::text,
                        {P(new NpgsqlParameter<string> { TypedValue = record.ChangeId ?? "" })}::text, {P(new NpgsqlParameter<long> { TypedValue = record.Version })}::bigint,
                        {P(new NpgsqlParameter<string> { TypedValue = answer.Fingerprint })}::text, {P(new NpgsqlParameter<DateTime> { TypedValue = answer.At.UtcDateTime })}::timestamptz,
                        {P(new NpgsqlParameter<string> { TypedValue = answer.Result.State })}::text, {P(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(answer.Result.ChangedFields) })}::text,
                        {P(new NpgsqlParameter<bool> { TypedValue = answer.Result.Created })}::boolean
                 WHERE {onlyIf}
                 ON CONFLICT DO NOTHING
                 """);
        }

        return statements;
    }

    private async Task<IReadOnlyList<bool>> InsertAsync(IReadOnlyList<EntityRecord> records, CancellationToken cancellationToken)
    {
        await using var commands = _dataSource.CreateBatch();
        AddCommands(commands, records);
        if (commands.BatchCommands.Count > 0)
        {
            // One batch is one implicit transaction: all of its rows commit together, or none do.
            await commands.ExecuteNonQueryAsync(cancellationToken);
        }

        return new bool[records.Count];
    }

    private static void AddCommands(NpgsqlBatch commands, IReadOnlyList<EntityRecord> records)
    {

        // Inserts first, then the tidying of the previous versions: a batch holding both a write and a leftover of
        // the version before it leaves only the winner of that version.
        var transitions = records.Where(r => r.ChangeId is not null).SelectMany(r => r.Transitions.Select(t => (Record: r, Transition: t))).ToList();
        if (transitions.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                """
                INSERT INTO baton_entity_history (entity, version, field, change_id, from_value, to_value, at, actor)
                SELECT * FROM unnest(@entities, @versions, @fields, @change_ids, @froms, @tos, @ats, @actors)
                ON CONFLICT DO NOTHING
                """);
            insert.Parameters.AddWithValue("entities", transitions.Select(t => t.Record.Key).ToArray());
            insert.Parameters.AddWithValue("versions", transitions.Select(t => t.Record.Version).ToArray());
            insert.Parameters.AddWithValue("fields", transitions.Select(t => t.Transition.Field).ToArray());
            insert.Parameters.AddWithValue("change_ids", transitions.Select(t => t.Record.ChangeId!).ToArray());
            insert.Parameters.Add(Texts("froms", transitions.Select(t => t.Transition.From)));
            insert.Parameters.Add(Texts("tos", transitions.Select(t => t.Transition.To)));
            insert.Parameters.AddWithValue("ats", transitions.Select(t => t.Transition.At.UtcDateTime).ToArray());
            insert.Parameters.AddWithValue("actors", transitions.Select(t => t.Transition.Actor).ToArray());
            commands.BatchCommands.Add(insert);
        }

        var answers = records.Where(r => r.Request is not null).ToList();
        if (answers.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                """
                INSERT INTO baton_entity_requests (entity, request_id, change_id, version, fingerprint, at, state, changed_fields, created)
                SELECT * FROM unnest(@entities, @request_ids, @change_ids, @versions, @fingerprints, @ats, @states, @changed_fields, @created)
                ON CONFLICT DO NOTHING
                """);
            insert.Parameters.AddWithValue("entities", answers.Select(r => r.Key).ToArray());
            insert.Parameters.AddWithValue("request_ids", answers.Select(r => r.Request!.RequestId).ToArray());
            insert.Parameters.AddWithValue("change_ids", answers.Select(r => r.ChangeId ?? "").ToArray());
            insert.Parameters.AddWithValue("versions", answers.Select(r => r.Version).ToArray());
            insert.Parameters.AddWithValue("fingerprints", answers.Select(r => r.Request!.Fingerprint).ToArray());
            insert.Parameters.AddWithValue("ats", answers.Select(r => r.Request!.At.UtcDateTime).ToArray());
            insert.Parameters.AddWithValue("states", answers.Select(r => r.Request!.Result.State).ToArray());
            insert.Parameters.AddWithValue("changed_fields", answers.Select(r => JsonSerializer.Serialize(r.Request!.Result.ChangedFields)).ToArray());
            insert.Parameters.AddWithValue("created", answers.Select(r => r.Request!.Result.Created).ToArray());
            commands.BatchCommands.Add(insert);
        }

        var tidy = records.Where(r => r.ChangeId is not null && r.PreviousChangeId is not null).ToList();
        if (tidy.Count > 0)
        {
            var entities = tidy.Select(r => r.Key).ToArray();
            var versions = tidy.Select(r => r.Version - 1).ToArray();
            var winners = tidy.Select(r => r.PreviousChangeId!).ToArray();
            var history = new NpgsqlBatchCommand(
                """
                DELETE FROM baton_entity_history h USING unnest(@entities, @versions, @winners) AS w(entity, version, change_id)
                WHERE h.entity = w.entity AND h.version = w.version AND h.change_id <> w.change_id
                """);
            history.Parameters.AddWithValue("entities", entities);
            history.Parameters.AddWithValue("versions", versions);
            history.Parameters.AddWithValue("winners", winners);
            commands.BatchCommands.Add(history);
            var requests = new NpgsqlBatchCommand(
                """
                DELETE FROM baton_entity_requests r USING unnest(@entities, @versions, @winners) AS w(entity, version, change_id)
                WHERE r.entity = w.entity AND r.version = w.version AND r.change_id <> '' AND r.change_id <> w.change_id
                """);
            requests.Parameters.AddWithValue("entities", entities);
            requests.Parameters.AddWithValue("versions", versions);
            requests.Parameters.AddWithValue("winners", winners);
            commands.BatchCommands.Add(requests);
        }

    }

    private static NpgsqlParameter Texts(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.Select(v => (object?)v ?? DBNull.Value).ToArray() };
}
