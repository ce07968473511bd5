using Baton.Grains.Feed;
using Npgsql;
using NpgsqlTypes;

namespace Baton.Postgres.Feed;

/// <summary>
/// How events go into <c>baton_event_log</c> and come back out. The one INSERT that appends events to <c>baton_event_log</c>, shared by the log's own appends and by grain
/// storage writes that append their outbox events in the same transaction. Whoever runs it holds
/// <see cref="PostgresEventLog.AppendLockKey"/> for the rest of the transaction (see migration 0006).
/// </summary>
internal static class EventLogInsert
{
    /// <summary>How many parameters <see cref="Sql"/> uses, from <c>$first</c> on.</summary>
    public const int ParameterCount = 12;

    /// <summary>
    /// The statement, with its parameters numbered from <c>$first</c>; <paramref name="onlyIf"/> (SQL, may be null)
    /// makes the whole append conditional. An event id already logged is skipped.
    /// </summary>
    public static string Sql(int first, string? onlyIf = null)
    {
        string P(int i) => "$" + (first + i);
        return $"""
            INSERT INTO baton_event_log (event_id, namespace, type, subject, sequence, occurred_at, actor, payload, appended_at, service_id, queue_id, stream_key)
            SELECT e.event_id, e.namespace, e.type, e.subject, e.sequence, e.occurred_at, e.actor, e.payload, {P(0)},
                   CASE WHEN e.queue_id IS NULL THEN NULL ELSE {P(1)} END, e.queue_id, e.stream_key
            FROM unnest({P(2)}::text[], {P(3)}::text[], {P(4)}::text[], {P(5)}::text[], {P(6)}::bigint[], {P(7)}::timestamptz[], {P(8)}::text[], {P(9)}::text[], {P(10)}::integer[], {P(11)}::text[])
                 WITH ORDINALITY AS e(event_id, namespace, type, subject, sequence, occurred_at, actor, payload, queue_id, stream_key, n)
            {(onlyIf is null ? "" : "WHERE " + onlyIf)}
            ORDER BY e.n
            ON CONFLICT (event_id) DO NOTHING
            """;
    }

    /// <summary>Adds the <see cref="ParameterCount"/> parameters of <see cref="Sql"/>, in order.</summary>
    public static void AddParameters(NpgsqlParameterCollection parameters, DateTime appendedAt, string? serviceId, IReadOnlyList<LogAppend> events)
    {
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = appendedAt });
        parameters.Add(new NpgsqlParameter { Value = (object?)serviceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Envelope.EventId)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Namespace)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Envelope.Type)] });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Envelope.Subject)] });
        parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(e => e.Envelope.Sequence)] });
        parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = [.. events.Select(e => e.Envelope.OccurredAt.UtcDateTime)] });
        parameters.Add(new NpgsqlParameter { Value = events.Select(e => (object?)e.Envelope.Actor ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Envelope.Payload)] });
        parameters.Add(new NpgsqlParameter { Value = events.Select(e => (object?)e.Queue ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        parameters.Add(new NpgsqlParameter { Value = events.Select(e => (object?)e.StreamKey ?? DBNull.Value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
    }

    /// <summary>
    /// The envelope of a logged event from seven consecutive columns starting at <paramref name="first"/>:
    /// <c>event_id, type, subject, sequence, occurred_at, actor, payload</c>.
    /// </summary>
    public static Contracts.EventEnvelope ReadEnvelope(NpgsqlDataReader reader, int first) => new(
        reader.GetString(first),
        reader.GetString(first + 1),
        reader.GetString(first + 2),
        reader.GetInt64(first + 3),
        new DateTimeOffset(reader.GetFieldValue<DateTime>(first + 4), TimeSpan.Zero),
        reader.IsDBNull(first + 5) ? null : reader.GetString(first + 5),
        reader.GetString(first + 6));

    /// <summary>The command that takes the append lock; put it first in the transaction's batch.</summary>
    public static NpgsqlBatchCommand Lock()
    {
        var command = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = PostgresEventLog.AppendLockKey });
        return command;
    }
}
