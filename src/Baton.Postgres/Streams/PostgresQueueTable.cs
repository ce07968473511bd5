using Npgsql;
using NpgsqlTypes;

namespace Baton.Postgres.Streams;

/// <summary>A queue row handed to a reader: its id, the serialized batch and how often it was claimed, this time included.</summary>
public sealed record ClaimedRow(long Id, byte[] Payload, int Attempts);

/// <summary>What one claim did: the rows now leased to the reader, in id order, and the ids it moved to the dead-letter table.</summary>
public sealed record Claim(IReadOnlyList<ClaimedRow> Rows, IReadOnlyList<long> DeadLettered);

/// <summary>What became of a row whose delivery failed.</summary>
public enum DeliveryFailureOutcome
{
    /// <summary>It will be handed out again after the redelivery delay.</summary>
    Released,

    /// <summary>It used its last attempt and is now in the dead-letter table.</summary>
    DeadLettered,

    /// <summary>It is not in the queue any more (delivered by someone else, or evicted).</summary>
    Gone,
}

/// <summary>
/// The SQL of Baton's stream queue (tables <c>baton_stream_queue</c> and
/// <c>baton_stream_dead_letter</c>, migration 0005) for one service. Every statement is a single
/// round trip and its own transaction.
/// </summary>
/// <remarks>
/// Durability. Publishes (<see cref="EnqueueAsync"/>, <see cref="EnqueueManyAsync"/>) go through
/// <paramref name="dataSource"/> and commit synchronously: a publish is on disk before it is
/// acknowledged. Every other statement is bookkeeping of the readers (claims, lease renewals,
/// deletes of delivered rows, releases, failure records, dead-lettering, retention) and may go
/// through <paramref name="bookkeeping"/>, whose sessions commit without waiting for the WAL
/// flush. If the database server crashes, the last such commits may be lost as a whole: a lost
/// claim or renewal leaves the row visible (or visible once its lease lapses), a lost delete or
/// dead-lettering leaves the row queued, so the row is handed out again (at-least-once, in id
/// order); nothing published is lost. A crash of a silo loses nothing that was committed.
/// </remarks>
public sealed class PostgresQueueTable(NpgsqlDataSource dataSource, string serviceId, NpgsqlDataSource? bookkeeping = null)
{
    private readonly NpgsqlDataSource _bookkeeping = bookkeeping ?? dataSource;

    private const string DeadLetterColumns =
        "id, service_id, queue_id, stream_namespace, stream_key, payload, enqueued_at, leased_until, lease_owner, attempts, last_error, reason";

    public string ServiceId { get; } = serviceId;

    /// <summary>Appends a batch to the end of queue <paramref name="queueId"/>, visible at once. Returns its row id.</summary>
    public async Task<long> EnqueueAsync(int queueId, string? streamNamespace, string streamKey, byte[] payload, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO baton_stream_queue (service_id, queue_id, stream_namespace, stream_key, payload)
            VALUES (@service, @queue, @namespace, @key, @payload)
            RETURNING id
            """);
        command.Parameters.AddWithValue("service", ServiceId);
        command.Parameters.AddWithValue("queue", queueId);
        command.Parameters.Add(new NpgsqlParameter("namespace", NpgsqlDbType.Text) { Value = (object?)streamNamespace ?? DBNull.Value });
        command.Parameters.AddWithValue("key", streamKey);
        command.Parameters.AddWithValue("payload", payload);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Appends several batches in one statement (one transaction), in list order: the rows get
    /// ids in that order and become visible together. Returns their row ids, in list order.
    /// </summary>
    public async Task<long[]> EnqueueManyAsync(IReadOnlyList<QueueAppend> appends, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(appends);
        if (appends.Count == 0)
        {
            return [];
        }

        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO baton_stream_queue (service_id, queue_id, stream_namespace, stream_key, payload)
            SELECT @service, r.queue_id, r.stream_namespace, r.stream_key, r.payload
            FROM unnest(@queues, @namespaces, @keys, @payloads) WITH ORDINALITY AS r(queue_id, stream_namespace, stream_key, payload, n)
            ORDER BY r.n
            RETURNING id
            """);
        command.Parameters.AddWithValue("service", ServiceId);
        command.Parameters.AddWithValue("queues", appends.Select(a => a.QueueId).ToArray());
        command.Parameters.Add(new NpgsqlParameter("namespaces", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = appends.Select(a => (object?)a.StreamNamespace ?? DBNull.Value).ToArray() });
        command.Parameters.AddWithValue("keys", appends.Select(a => a.StreamKey).ToArray());
        command.Parameters.AddWithValue("payloads", appends.Select(a => a.Payload).ToArray());

        // RETURNING follows insertion order, which follows ORDER BY n; sorting keeps that explicit.
        var ids = new List<long>(appends.Count);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        if (ids.Count != appends.Count)
        {
            throw new InvalidOperationException($"Inserted {ids.Count} stream queue row(s) for {appends.Count} publish(es).");
        }

        ids.Sort();
        return [.. ids];
    }

    /// <summary>
    /// Leases up to <paramref name="max"/> visible rows of queue <paramref name="queueId"/> in id
    /// order to <paramref name="owner"/> for <paramref name="lease"/>, counting an attempt on each.
    /// Rows among them that were already claimed <paramref name="maxAttempts"/> times go to the
    /// dead-letter table instead. Rows another transaction holds locked are skipped, not waited for,
    /// and a row is not claimed while an older row of the same stream is queued outside this claim
    /// and not held by <paramref name="owner"/>, so two readers of one queue (Orleans hands a queue
    /// over while the old agent still stops) never hand out a stream's rows out of order.
    /// </summary>
    public async Task<Claim> ClaimAsync(int queueId, string owner, int max, TimeSpan lease, int maxAttempts, CancellationToken cancellationToken = default)
    {
        await using var command = _bookkeeping.CreateCommand(
            $"""
            WITH candidate AS (
                SELECT id, attempts, stream_namespace, stream_key
                FROM baton_stream_queue
                WHERE service_id = @service AND queue_id = @queue AND leased_until <= now()
                ORDER BY id
                LIMIT @max
                FOR UPDATE SKIP LOCKED
            ),
            -- Per-stream order: a row waits while an older row of its stream is still queued and is
            -- neither in this claim nor held by this reader (another reader holds it during a
            -- hand-over, a concurrent claim has it locked, or it waits for redelivery).
            blocked AS (
                SELECT c.id
                FROM candidate c
                WHERE c.attempts < @max_attempts AND EXISTS (
                    SELECT 1
                    FROM baton_stream_queue o
                    WHERE o.service_id = @service AND o.queue_id = @queue
                      AND o.stream_key = c.stream_key AND o.stream_namespace IS NOT DISTINCT FROM c.stream_namespace
                      AND o.id < c.id
                      AND o.id NOT IN (SELECT id FROM candidate)
                      AND (o.lease_owner IS DISTINCT FROM @owner OR o.leased_until <= now()))
            ),
            exhausted AS (
                DELETE FROM baton_stream_queue q
                USING candidate c
                WHERE q.id = c.id AND c.attempts >= @max_attempts
                RETURNING q.*
            ),
            buried AS (
                INSERT INTO baton_stream_dead_letter ({DeadLetterColumns})
                SELECT id, service_id, queue_id, stream_namespace, stream_key, payload, enqueued_at, leased_until, lease_owner, attempts, last_error,
                       format('claimed %s times (MaxAttempts %s) without being delivered; last error: %s',
                              attempts, @max_attempts, coalesce(last_error, 'none recorded (each reader stopped or lost its lease before delivering it)'))
                FROM exhausted
                RETURNING id
            ),
            claimed AS (
                UPDATE baton_stream_queue q
                SET leased_until = now() + @lease, lease_owner = @owner, attempts = q.attempts + 1
                FROM candidate c
                WHERE q.id = c.id AND c.attempts < @max_attempts AND c.id NOT IN (SELECT id FROM blocked)
                RETURNING q.id, q.payload, q.attempts
            )
            SELECT id, payload, attempts, false AS buried FROM claimed
            UNION ALL
            SELECT id, NULL, 0, true FROM buried
            ORDER BY id
            """);
        command.Parameters.AddWithValue("service", ServiceId);
        command.Parameters.AddWithValue("queue", queueId);
        command.Parameters.AddWithValue("max", max);
        command.Parameters.AddWithValue("max_attempts", maxAttempts);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("owner", owner);

        var rows = new List<ClaimedRow>();
        var buried = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(3))
            {
                buried.Add(reader.GetInt64(0));
            }
            else
            {
                rows.Add(new ClaimedRow(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetInt32(2)));
            }
        }

        return new Claim(rows, buried);
    }

    /// <summary>Extends the lease of every row of the queue that <paramref name="owner"/> still holds. Returns how many it holds.</summary>
    public async Task<int> RenewAsync(int queueId, string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var command = _bookkeeping.CreateCommand(
            """
            UPDATE baton_stream_queue
            SET leased_until = now() + @lease
            WHERE lease_owner = @owner AND service_id = @service AND queue_id = @queue AND leased_until > now()
            """);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("service", ServiceId);
        command.Parameters.AddWithValue("queue", queueId);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes delivered rows. Returns how many were still there.</summary>
    public async Task<int> DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0)
        {
            return 0;
        }

        await using var command = _bookkeeping.CreateCommand("DELETE FROM baton_stream_queue WHERE id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", ids.ToArray());
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Makes every row <paramref name="owner"/> holds in the queue visible again at once (a reader that stops). Returns how many.</summary>
    public async Task<int> ReleaseAsync(int queueId, string owner, CancellationToken cancellationToken = default)
    {
        await using var command = _bookkeeping.CreateCommand(
            """
            UPDATE baton_stream_queue
            SET leased_until = now(), lease_owner = NULL
            WHERE lease_owner = @owner AND service_id = @service AND queue_id = @queue
            """);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("service", ServiceId);
        command.Parameters.AddWithValue("queue", queueId);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records that delivering row <paramref name="id"/> failed: a row with attempts left becomes
    /// visible again after <paramref name="redeliveryDelay"/>, one that used its last attempt goes
    /// to the dead-letter table with <paramref name="error"/> in its reason.
    /// </summary>
    public async Task<DeliveryFailureOutcome> RecordDeliveryFailureAsync(long id, string error, int maxAttempts, TimeSpan redeliveryDelay, CancellationToken cancellationToken = default)
    {
        await using var command = _bookkeeping.CreateCommand(
            $"""
            WITH failed AS (
                SELECT id, attempts FROM baton_stream_queue WHERE id = @id FOR UPDATE
            ),
            exhausted AS (
                DELETE FROM baton_stream_queue q
                USING failed f
                WHERE q.id = f.id AND f.attempts >= @max_attempts
                RETURNING q.*
            ),
            buried AS (
                INSERT INTO baton_stream_dead_letter ({DeadLetterColumns})
                SELECT id, service_id, queue_id, stream_namespace, stream_key, payload, enqueued_at, leased_until, lease_owner, attempts, @error,
                       format('delivery failed on attempt %s of %s (MaxAttempts): %s', attempts, @max_attempts, @error)
                FROM exhausted
                RETURNING id
            ),
            released AS (
                UPDATE baton_stream_queue q
                SET leased_until = now() + @delay, lease_owner = NULL, last_error = @error
                FROM failed f
                WHERE q.id = f.id AND f.attempts < @max_attempts
                RETURNING q.id
            )
            SELECT (SELECT count(*) FROM buried), (SELECT count(*) FROM released)
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("error", error);
        command.Parameters.AddWithValue("max_attempts", maxAttempts);
        command.Parameters.AddWithValue("delay", redeliveryDelay);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt64(0) > 0 ? DeliveryFailureOutcome.DeadLettered
            : reader.GetInt64(1) > 0 ? DeliveryFailureOutcome.Released
            : DeliveryFailureOutcome.Gone;
    }

    /// <summary>Moves row <paramref name="id"/> to the dead-letter table at once (a payload that cannot be read). False when it is gone.</summary>
    public async Task<bool> DeadLetterAsync(long id, string reason, CancellationToken cancellationToken = default)
    {
        await using var command = _bookkeeping.CreateCommand(
            $"""
            WITH moved AS (
                DELETE FROM baton_stream_queue WHERE id = @id RETURNING *
            )
            INSERT INTO baton_stream_dead_letter ({DeadLetterColumns})
            SELECT id, service_id, queue_id, stream_namespace, stream_key, payload, enqueued_at, leased_until, lease_owner, attempts, last_error, @reason
            FROM moved
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("reason", reason);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Deletes the queue's rows enqueued more than <paramref name="retention"/> ago, delivered or
    /// not, and its dead letters that failed more than <paramref name="retention"/> ago.
    /// </summary>
    public async Task<(long Rows, long DeadLetters)> EvictExpiredAsync(int queueId, TimeSpan retention, CancellationToken cancellationToken = default)
    {
        await using var command = _bookkeeping.CreateCommand(
            """
            WITH rows AS (
                DELETE FROM baton_stream_queue
                WHERE service_id = @service AND queue_id = @queue AND enqueued_at < now() - @retention
                RETURNING 1
            ),
            dead AS (
                DELETE FROM baton_stream_dead_letter
                WHERE service_id = @service AND queue_id = @queue AND failed_at < now() - @retention
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM rows), (SELECT count(*) FROM dead)
            """);
        command.Parameters.AddWithValue("service", ServiceId);
        command.Parameters.AddWithValue("queue", queueId);
        command.Parameters.AddWithValue("retention", retention);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
