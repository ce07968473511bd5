using Baton.Contracts;
using Baton.Grains.Feed;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Baton.Postgres.Feed;

/// <summary>
/// The event log in PostgreSQL (table <c>baton_event_log</c>, migrations 0006 and 0007), which is
/// also the durable stream queue: an append that names a queue is a publish, read by that queue's
/// reader (see <c>PostgresQueueAdapterReceiver</c>). Concurrent appends of this process are grouped
/// into one transaction at a time (group commit), and every process's transactions are serialized
/// by an advisory lock, so positions become visible in order: see migration 0006 for why that
/// matters to readers. A group is one round trip: the lock and the insert go out as one batch,
/// which PostgreSQL runs as one implicit transaction.
/// </summary>
public sealed class PostgresEventLog : IEventLog, IAsyncDisposable
{
    /// <summary>The advisory lock appenders share ("batonlog" in ASCII).</summary>
    internal const long AppendLockKey = 0x6261_746F_6E6C_6F67;

    private const int MaxBatch = 1000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly GroupCommit<IReadOnlyList<LogAppend>, bool> _appends;

    private readonly string? _serviceId;

    /// <param name="serviceId">
    /// The service whose stream queues the appends that name a queue belong to; required to append such events.
    /// </param>
    public PostgresEventLog(string connectionString, TimeProvider time, ILogger<PostgresEventLog> logger, string? serviceId = null)
    {
        _serviceId = serviceId;
        // Only transaction-scoped state is used (pg_advisory_xact_lock): a pooled connection needs no reset on reuse.
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true, MaxAutoPrepare = 16 });
        _time = time;
        _appends = new GroupCommit<IReadOnlyList<LogAppend>, bool>("event log appends", MaxBatch, InsertAsync, logger);
    }

    /// <summary>The service whose stream queues this log appends to; null when it only logs.</summary>
    public string? ServiceId => _serviceId;

    public Task AppendAsync(IReadOnlyList<LogAppend> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }

        if (_serviceId is null && events.Any(e => e.Queue is not null))
        {
            throw new InvalidOperationException("This event log was created without a service id, so it cannot append to stream queues.");
        }

        return _appends.WriteAsync(events, cancellationToken);
    }

    public async Task<EventLogPage> ReadAsync(long after, FeedFilter filter, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // One statement, so the bounds and the rows come from one snapshot.
        await using var command = _dataSource.CreateCommand(
            """
            WITH horizon AS (SELECT evicted_through FROM baton_event_log_horizon WHERE id = 1),
                 head AS (SELECT coalesce(max(position), 0) AS head FROM baton_event_log)
            SELECT h.evicted_through, hd.head,
                   e.position, e.namespace, e.event_id, e.type, e.subject, e.sequence, e.occurred_at, e.actor, e.payload
            FROM horizon h
            CROSS JOIN head hd
            LEFT JOIN LATERAL (
                SELECT position, namespace, event_id, type, subject, sequence, occurred_at, actor, payload
                FROM baton_event_log
                WHERE position > @after
                  AND (@all OR type = ANY(@exact) OR type LIKE ANY(@prefixes))
                  AND (@namespace::text IS NULL OR namespace = @namespace)
                  AND (@subject_prefix::text IS NULL OR starts_with(subject, @subject_prefix))
                ORDER BY position
                LIMIT @limit
            ) e ON true
            ORDER BY e.position
            """);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("all", filter.Types.MatchesAll);
        command.Parameters.AddWithValue("exact", filter.Types.Exact.ToArray());
        command.Parameters.Add(new NpgsqlParameter("namespace", NpgsqlDbType.Text) { Value = (object?)filter.Namespace ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("subject_prefix", NpgsqlDbType.Text) { Value = (object?)filter.SubjectPrefix ?? DBNull.Value });
        command.Parameters.AddWithValue("prefixes", filter.Types.Prefixes.Select(p => p.Replace("_", "\\_", StringComparison.Ordinal) + "%").ToArray());
        command.Parameters.AddWithValue("limit", limit);

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<EventLogEntry>();
        EventLogBounds bounds = default;
        while (await reader.ReadAsync(cancellationToken))
        {
            var evictedThrough = reader.GetInt64(0);
            bounds = new EventLogBounds(evictedThrough, Math.Max(reader.GetInt64(1), evictedThrough));
            if (reader.IsDBNull(2))
            {
                continue;
            }

            entries.Add(new EventLogEntry(reader.GetInt64(2), reader.GetString(3), EventLogInsert.ReadEnvelope(reader, first: 4)));
        }

        var scanned = entries.Count == limit ? entries[^1].Position : Math.Max(after, bounds.Head);
        return new EventLogPage(entries, scanned, bounds);
    }

    public async Task<EventLogBounds> BoundsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT evicted_through, (SELECT coalesce(max(position), 0) FROM baton_event_log) FROM baton_event_log_horizon WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var evictedThrough = reader.GetInt64(0);
        return new EventLogBounds(evictedThrough, Math.Max(reader.GetInt64(1), evictedThrough));
    }

    public async Task<long> EvictAsync(DateTimeOffset appendedBefore, CancellationToken cancellationToken = default)
    {
        // Evicts a prefix: everything up to the newest position appended before the cutoff, so the
        // horizon alone tells which cursors lost events.
        await using var command = _dataSource.CreateCommand(
            """
            WITH cutoff AS (SELECT max(position) AS through FROM baton_event_log WHERE appended_at < @before),
                 deleted AS (DELETE FROM baton_event_log WHERE position <= (SELECT through FROM cutoff) RETURNING 1),
                 moved AS (
                     UPDATE baton_event_log_horizon
                     SET evicted_through = greatest(evicted_through, (SELECT through FROM cutoff))
                     WHERE id = 1 AND (SELECT through FROM cutoff) IS NOT NULL
                     RETURNING 1)
            SELECT (SELECT count(*) FROM deleted), (SELECT count(*) FROM moved)
            """);
        command.Parameters.AddWithValue("before", appendedBefore.UtcDateTime);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt64(0);
    }

    public async ValueTask DisposeAsync()
    {
        await _appends.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    private async Task<IReadOnlyList<bool>> InsertAsync(IReadOnlyList<IReadOnlyList<LogAppend>> batch, CancellationToken cancellationToken)
    {
        var events = batch.SelectMany(p => p).ToArray();
        var now = _time.GetUtcNow().UtcDateTime;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);

        // No explicit transaction: the statements of one batch run in one implicit transaction that commits at its end.
        await using var append = new NpgsqlBatch(connection);
        append.BatchCommands.Add(EventLogInsert.Lock());
        var insert = new NpgsqlBatchCommand(EventLogInsert.Sql(first: 1));
        EventLogInsert.AddParameters(insert.Parameters, now, _serviceId, events);
        append.BatchCommands.Add(insert);
        await append.ExecuteNonQueryAsync(cancellationToken);
        return new bool[batch.Count];
    }
}
