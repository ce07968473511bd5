using Baton.Contracts;
using Npgsql;

namespace Baton.Postgres.Streams;

/// <summary>An event of a stream queue as its reader reads it from the log.</summary>
public sealed record QueuedEvent(long Position, string? StreamNamespace, string StreamKey, EventEnvelope Envelope);

/// <summary>
/// The SQL of Baton's stream queues for one service (migration 0007): the queues' events are rows of
/// <c>baton_event_log</c> that name a queue, <c>baton_stream_cursor</c> holds each queue's lease and how far
/// it was delivered, and <c>baton_stream_dead_letter</c> what a queue gave up on. Every statement is a single
/// round trip and its own transaction.
/// </summary>
/// <remarks>
/// Durability. Publishes are appends to the log (<see cref="Feed.PostgresEventLog"/>) and commit synchronously.
/// Everything here is the readers' bookkeeping and goes through <paramref name="bookkeeping"/>, whose sessions
/// commit without waiting for the WAL flush: if the database server crashes, the last lease renewals, cursor
/// moves and dead-letterings may be lost, so a queue's events from its last durable cursor on are delivered
/// again (at-least-once, in position order). Nothing published is lost.
/// </remarks>
public sealed class PostgresStreamCursor(NpgsqlDataSource bookkeeping, string serviceId)
{
    public string ServiceId { get; } = serviceId;

    /// <summary>
    /// Takes or renews the lease of queue <paramref name="queueId"/> for <paramref name="owner"/>, when the queue is
    /// free, its lease lapsed, or <paramref name="owner"/> holds it already. Returns how far the queue was delivered,
    /// or null when another reader holds it.
    /// </summary>
    public async Task<long?> LeaseAsync(int queueId, string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand(
            """
            INSERT INTO baton_stream_cursor AS c (service_id, queue_id, lease_owner, leased_until)
            VALUES ($1, $2, $3, now() + $4)
            ON CONFLICT (service_id, queue_id) DO UPDATE
                SET lease_owner = EXCLUDED.lease_owner, leased_until = EXCLUDED.leased_until
                WHERE c.lease_owner = EXCLUDED.lease_owner OR c.lease_owner IS NULL OR c.leased_until <= now()
            RETURNING delivered_through
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease });
        return await command.ExecuteScalarAsync(cancellationToken) is long through ? through : null;
    }

    /// <summary>Gives the lease up so that the next reader starts at once. False when <paramref name="owner"/> did not hold it.</summary>
    public async Task<bool> ReleaseAsync(int queueId, string owner, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand(
            "UPDATE baton_stream_cursor SET lease_owner = NULL, leased_until = '-infinity' WHERE service_id = $1 AND queue_id = $2 AND lease_owner = $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Moves the queue's cursor forward to <paramref name="through"/> (never back), while <paramref name="owner"/>
    /// holds the lease. False when it does not any more.
    /// </summary>
    public async Task<bool> AdvanceAsync(int queueId, string owner, long through, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand(
            """
            UPDATE baton_stream_cursor SET delivered_through = greatest(delivered_through, $4)
            WHERE service_id = $1 AND queue_id = $2 AND lease_owner = $3
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = through });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>How far queue <paramref name="queueId"/> was delivered (0 when it was never read).</summary>
    public async Task<long> DeliveredThroughAsync(int queueId, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand("SELECT delivered_through FROM baton_stream_cursor WHERE service_id = $1 AND queue_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        return await command.ExecuteScalarAsync(cancellationToken) is long through ? through : 0;
    }

    /// <summary>At most <paramref name="limit"/> events of queue <paramref name="queueId"/> after position <paramref name="after"/>, in position order.</summary>
    public async Task<IReadOnlyList<QueuedEvent>> ReadAsync(int queueId, long after, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand(
            $"""
            SELECT {Columns} FROM baton_event_log
            WHERE service_id = $1 AND queue_id = $2 AND position > $3
            ORDER BY position
            LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadEventsAsync(command, cancellationToken);
    }

    /// <summary>The events of queue <paramref name="queueId"/> at <paramref name="positions"/> that are still in the log, in position order.</summary>
    public async Task<IReadOnlyList<QueuedEvent>> ReadAtAsync(int queueId, IReadOnlyCollection<long> positions, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand(
            $"""
            SELECT {Columns} FROM baton_event_log
            WHERE service_id = $1 AND queue_id = $2 AND position = ANY($3)
            ORDER BY position
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. positions] });
        return await ReadEventsAsync(command, cancellationToken);
    }

    /// <summary>Copies the event at <paramref name="position"/> to the dead-letter table with why. False when the log no longer holds it.</summary>
    public async Task<bool> DeadLetterAsync(int queueId, long position, int attempts, string reason, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand(
            """
            INSERT INTO baton_stream_dead_letter (service_id, position, queue_id, event_id, namespace, stream_key, type, sequence, payload, attempts, reason)
            SELECT service_id, position, queue_id, event_id, namespace, coalesce(stream_key, subject), type, sequence, payload, $4, $5
            FROM baton_event_log
            WHERE service_id = $1 AND queue_id = $2 AND position = $3
            ON CONFLICT (service_id, position) DO UPDATE SET attempts = EXCLUDED.attempts, reason = EXCLUDED.reason, failed_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempts });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>Deletes the dead letters of queue <paramref name="queueId"/> older than <paramref name="retention"/>. Returns how many.</summary>
    public async Task<long> EvictDeadLettersAsync(int queueId, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        await using var command = bookkeeping.CreateCommand(
            "DELETE FROM baton_stream_dead_letter WHERE service_id = $1 AND queue_id = $2 AND failed_at < now() - $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ServiceId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = queueId });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = retention });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private const string Columns = "position, namespace, coalesce(stream_key, subject), event_id, type, subject, sequence, occurred_at, actor, payload";

    private static async Task<IReadOnlyList<QueuedEvent>> ReadEventsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<QueuedEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var ns = reader.GetString(1);
            events.Add(new QueuedEvent(
                reader.GetInt64(0),
                ns.Length == 0 ? null : ns,
                reader.GetString(2),
                Feed.EventLogInsert.ReadEnvelope(reader, first: 3)));
        }

        return events;
    }
}
