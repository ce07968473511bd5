using Baton.Contracts;
using Baton.Grains.Common;
using Baton.Grains.Events;
using Baton.Grains.Feed;
using Baton.Postgres.Feed;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.Streams;

namespace Baton.Postgres.Storage;

/// <summary>
/// Grain storage <c>baton</c> in Postgres mode (table <c>baton_grain_state</c>, migration 0008). Each write is one
/// etag-checked statement; the concurrent writes of this silo go out together as one batch in one transaction
/// (group commit: one round trip and one WAL flush for all of them), and each write completes once that
/// transaction committed. A conflict of one write fails that write only.
/// </summary>
/// <remarks>
/// <para>Events. When the state is an <see cref="IEventOutboxState"/>, the write appends the outbox's pending
/// events to the event log in the same statement, only if the state write succeeded, and the stored state never
/// holds them: the change and its events are committed together or not at all. The log is the stream queue
/// (see <c>PostgresQueueAdapterReceiver</c>), so once the write returns the events are published, and the
/// storage drops them from the outbox; the grain's <see cref="EventOutboxPublisher{TState}"/> then finds nothing
/// left to publish. There is no window between the write and the publish in which a crash could delay them.</para>
/// <para>Side rows. A state that carries rows of another table (<see cref="ICarriesSideWrite"/>, e.g. an entity's
/// history) has them written by the registered <see cref="IPostgresSideWriter"/> in the state write's own statement,
/// like the events: only if the version check passed, so a write that lost leaves no rows behind.</para>
/// <para>Wake times. A state that names when its grain must be woken (<see cref="IHasWakeTime"/>, e.g. a lock's next
/// expiry) has that time written to the row's <c>wake_at</c> by the same statement (migration 0010);
/// <see cref="DueAsync"/> lists the grains whose time has passed, for <c>PostgresWakeSweeper</c>.</para>
/// <para>Reads on demand. A state that is <see cref="IReadOnDemand"/> (a lock) is not read at activation. When this
/// storage wrote or read its row lately (<see cref="RecentRows"/>) the activation gets that state with the ETag
/// <see cref="StateReads.Remembered"/>, and its next write is an update of the remembered version; otherwise it gets
/// the default state with the ETag <see cref="StateReads.Unread"/>, and its next write is an insert. Either fails with
/// a conflict when the guess was wrong (another silo wrote the row since, or a row exists after all). A lock on a
/// fresh key, or taken again on the silo that last wrote it, is granted with one statement instead of two.</para>
/// <para>A batch that fails as a whole (a broken connection, a statement error) is retried one write per
/// transaction (<see cref="GroupCommit{TItem, TResult}"/>), so one bad write cannot fail the writes it shared a batch with.</para>
/// </remarks>
public sealed class PostgresGrainStorage : IGrainStorage, IDueWakes, IAsyncDisposable
{
    /// <summary>The most writes one transaction carries; more wait for the next one.</summary>
    public const int MaxGroup = 256;

    /// <summary>How many rows of <see cref="IReadOnDemand"/> states this storage remembers (see <see cref="RecentRows"/>).</summary>
    public const int RecentRowsCapacity = 65_536;

    /// <summary>How many bytes of remembered payload this storage keeps at most (see <see cref="RecentRows"/>).</summary>
    public const long RecentRowsMaxBytes = 32L * 1024 * 1024;

    private readonly string _serviceId;
    private readonly NpgsqlDataSource _dataSource;
    private readonly Serializer _serializer;
    private readonly IStreamQueueMapper _queues;
    private readonly TimeProvider _time;
    private readonly GroupCommit<PendingWrite, long?> _writes;
    private readonly IReadOnlyList<IPostgresSideWriter> _sideWriters;
    private readonly RecentRows _recent = new(RecentRowsCapacity, RecentRowsMaxBytes);

    public PostgresGrainStorage(
        string connectionString,
        string serviceId,
        Serializer serializer,
        IStreamQueueMapper queues,
        TimeProvider time,
        ILogger<PostgresGrainStorage> logger,
        IEnumerable<IPostgresSideWriter>? sideWriters = null)
    {
        _sideWriters = [.. sideWriters ?? []];
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        _serviceId = serviceId;

        // Only transaction-scoped state is used (pg_advisory_xact_lock): a pooled connection needs no reset on reuse.
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true, MaxAutoPrepare = 32 });
        _serializer = serializer;
        _queues = queues;
        _time = time;
        _writes = new GroupCommit<PendingWrite, long?>("grain state writes", MaxGroup, WriteGroupAsync, logger);
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var recentKey = grainState.State is IReadOnDemand ? RecentKey(stateName, grainId) : null;
        if (grainState.State is IReadOnDemand { ReadRequested: false })
        {
            // Not asked for: hand over a guess, which the grain's next write checks (see IReadOnDemand).
            if (_recent.Get(recentKey!) is { } remembered)
            {
                // Bytes this storage wrote or read itself: a fresh copy for this activation.
                grainState.State = _serializer.Deserialize<T>(remembered.Payload);
                grainState.ETag = StateReads.Remembered(remembered.Version);
                grainState.RecordExists = true;
            }
            else
            {
                grainState.State = Activator.CreateInstance<T>();
                grainState.ETag = StateReads.Unread;
                grainState.RecordExists = false;
            }

            return;
        }

        await using var command = _dataSource.CreateCommand(
            "SELECT version, payload FROM baton_grain_state WHERE service_id = $1 AND grain_id = $2 AND state_name = $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.ToString() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stateName });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            // Nothing is stored: whatever the state held before this read (a re-read after a failed write) is gone too.
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            if (recentKey is not null)
            {
                _recent.Forget(recentKey);
            }

            return;
        }

        var version = reader.GetInt64(0);
        var payload = reader.GetFieldValue<byte[]>(1);
        try
        {
            grainState.State = _serializer.Deserialize<T>(payload);
        }
        catch (Exception ex)
        {
            throw new InvalidDataException(
                $"The stored state '{stateName}' of {grainId} cannot be read as {typeof(T).Name}: {ex.Message}", ex);
        }

        grainState.ETag = Etag(version);
        grainState.RecordExists = true;
        if (recentKey is not null)
        {
            _recent.Set(recentKey, version, payload);
        }
    }

    public async Task<IReadOnlyList<GrainId>> DueAsync(DateTimeOffset dueBy, int limit, CancellationToken cancellationToken = default)
    {
        // The partial index baton_grain_state_wake (migration 0010) holds only rows that name a wake time.
        await using var command = _dataSource.CreateCommand(
            "SELECT grain_id FROM baton_grain_state WHERE service_id = $1 AND wake_at <= $2 ORDER BY wake_at LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = dueBy.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<GrainId>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add(GrainId.Parse(reader.GetString(0)));
        }

        return due;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // The events travel beside the state, not inside it: serialize the state without them.
        var outbox = (grainState.State as IEventOutboxState)?.Outbox;
        var events = outbox?.Pending ?? [];
        byte[] payload;
        if (events.Count > 0)
        {
            outbox!.Pending = [];
            try
            {
                payload = _serializer.SerializeToArray(grainState.State);
            }
            finally
            {
                outbox.Pending = events;
            }
        }
        else
        {
            payload = _serializer.SerializeToArray(grainState.State);
        }

        var write = new PendingWrite(
            grainId.ToString(),
            stateName,
            ParseEtag(grainState.ETag, stateName, grainId),
            payload,
            [.. events.Select(LogAppendOf)],
            grainState.State is ICarriesSideWrite { SideWrite: { } side } ? (side, WriterOf(side, stateName, grainId)) : null,
            (grainState.State as IHasWakeTime)?.WakeAt);
        var version = await _writes.WriteAsync(write);
        var recentKey = grainState.State is IReadOnDemand ? RecentKey(stateName, grainId) : null;
        if (version is null)
        {
            if (recentKey is not null)
            {
                _recent.Forget(recentKey);
            }

            throw new InconsistentStateException(
                $"The state '{stateName}' of {grainId} was changed by another writer (expected version {grainState.ETag ?? "none"}).",
                storedEtag: null,
                currentEtag: grainState.ETag);
        }

        grainState.ETag = Etag(version.Value);
        grainState.RecordExists = true;
        if (recentKey is not null)
        {
            _recent.Set(recentKey, version.Value, payload);
        }

        if (events.Count > 0)
        {
            // Committed with the state, so published: nothing is left for the outbox to do with them.
            outbox!.Pending.RemoveRange(0, events.Count);
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (StateReads.IsUnread(grainState.ETag))
        {
            throw new InvalidOperationException($"The state '{stateName}' of {grainId} was not read; read it before clearing it.");
        }

        if (grainState.State is IReadOnDemand)
        {
            _recent.Forget(RecentKey(stateName, grainId));
        }

        var expected = ParseEtag(grainState.ETag, stateName, grainId);
        if (expected is not null)
        {
            await using var command = _dataSource.CreateCommand(
                "DELETE FROM baton_grain_state WHERE service_id = $1 AND grain_id = $2 AND state_name = $3 AND version = $4");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = grainId.ToString() });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stateName });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected.Value });
            if (await command.ExecuteNonQueryAsync() == 0)
            {
                throw new InconsistentStateException(
                    $"The state '{stateName}' of {grainId} was changed by another writer (expected version {grainState.ETag}).",
                    storedEtag: null,
                    currentEtag: grainState.ETag);
            }
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    public async ValueTask DisposeAsync()
    {
        await _writes.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    /// <summary>The registered writer of <paramref name="side"/>; a state carrying rows no writer takes is a programming error.</summary>
    private IPostgresSideWriter WriterOf(object side, string stateName, GrainId grainId) =>
        _sideWriters.FirstOrDefault(w => w.Accepts(side))
        ?? throw new InvalidOperationException($"The state '{stateName}' of {grainId} carries a {side.GetType().Name} no side writer of this storage accepts.");

    /// <summary>An outbox event as a row of the log: on the queue of its stream, naming the stream's key when it is not the subject.</summary>
    private LogAppend LogAppendOf(OutboxEntry entry)
    {
        var key = BatonStreams.KeyOf(entry.Namespace, entry.Envelope.Subject);
        var queue = (int)_queues.GetQueueForStream(StreamId.Create(entry.Namespace, key)).GetNumericId();
        return new LogAppend(entry.Namespace, entry.Envelope, queue, key == entry.Envelope.Subject ? null : key);
    }

    private static string Etag(long version) => version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string RecentKey(string stateName, GrainId grainId) => $"{stateName}/{grainId}";

    // A state that was not read is written as a guess (see IReadOnDemand): a default state succeeds only if no row is
    // stored, a remembered one only if the row is still at the remembered version.
    private static long? ParseEtag(string? etag, string stateName, GrainId grainId) =>
        etag is null or StateReads.Unread ? null
        : StateReads.RememberedVersion(etag) is { } remembered ? remembered
        : long.TryParse(etag, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) ? version
        : throw new InconsistentStateException($"The state '{stateName}' of {grainId} carries etag '{etag}', which this storage did not issue.", storedEtag: null, currentEtag: etag);

    /// <summary>One transaction: every write of the group, each with its events; each write's new version, or null on a conflict.</summary>
    private async Task<IReadOnlyList<long?>> WriteGroupAsync(IReadOnlyList<PendingWrite> group, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var withEvents = group.Any(w => w.Events.Count > 0);
        if (withEvents)
        {
            // Log positions must commit in order across writers (migration 0006).
            batch.BatchCommands.Add(EventLogInsert.Lock());
        }

        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var write in group)
        {
            batch.BatchCommands.Add(Command(write, now));
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (withEvents)
        {
            await reader.NextResultAsync(cancellationToken);
        }

        var versions = new long?[group.Count];
        for (var i = 0; i < group.Count; i++)
        {
            versions[i] = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : null;
            await reader.NextResultAsync(cancellationToken);
        }

        // The implicit transaction commits when the batch completes: only then are the writes durable.
        await reader.DisposeAsync();
        return versions;
    }

    private NpgsqlBatchCommand Command(PendingWrite write, DateTime now)
    {
        var state = write.Expected is null
            ? """
              INSERT INTO baton_grain_state (service_id, grain_id, state_name, version, payload, wake_at)
              VALUES ($1, $2, $3, 1, $5, $6)
              ON CONFLICT DO NOTHING
              RETURNING version
              """
            : """
              UPDATE baton_grain_state SET version = version + 1, payload = $5, written_at = now(), wake_at = $6
              WHERE service_id = $1 AND grain_id = $2 AND state_name = $3 AND version = $4
              RETURNING version
              """;
        var command = new NpgsqlBatchCommand();
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _serviceId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.GrainId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = write.StateName });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = write.Expected ?? 0 });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = write.Payload });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz, Value = write.WakeAt is { } wake ? wake.UtcDateTime : DBNull.Value });

        // What rides along (events, side rows) runs in the same statement and only if the state write passed its check.
        const string Written = "EXISTS (SELECT 1 FROM written)";
        var alongside = new List<string>();
        if (write.Events.Count > 0)
        {
            alongside.Add(EventLogInsert.Sql(first: command.Parameters.Count + 1, onlyIf: Written));
            EventLogInsert.AddParameters(command.Parameters, now, _serviceId, write.Events);
        }

        if (write.Side is { } side)
        {
            alongside.AddRange(side.Writer.Statements(side.Rows, command.Parameters, Written, firstWrite: write.Expected is null));
        }

        command.CommandText = alongside.Count == 0
            ? state
            : $"""
              WITH written AS ({state}),
              {string.Join(",\n", alongside.Select((statement, i) => $"along{i} AS ({statement})"))}
              SELECT version FROM written
              """;
        return command;
    }

    private sealed record PendingWrite(
        string GrainId, string StateName, long? Expected, byte[] Payload, IReadOnlyList<LogAppend> Events, (object Rows, IPostgresSideWriter Writer)? Side, DateTimeOffset? WakeAt);
}
