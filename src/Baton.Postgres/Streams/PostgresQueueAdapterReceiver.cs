using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Reads one queue for the pulling agent that owns it: claims the next visible rows in id order
/// under a lease, keeps the lease alive while it holds rows, deletes rows once Orleans reports
/// them delivered to every subscriber, and releases what it still holds when it stops.
/// </summary>
/// <remarks>
/// <para>Order. Orleans gives a queue to one pulling agent at a time, so one receiver claims from a
/// queue and it claims in id order; a stream's events are inserted one publish after another, so
/// within a stream id order is publish order. A row this receiver holds is never visible to a
/// claim (its lease is renewed every third of <see cref="PostgresStreamOptions.Lease"/>), so it is
/// never handed out twice by the same reader. When a reader dies its leases lapse; rows claimed
/// earlier lapse no later than rows claimed after them, and the next reader claims again in id
/// order, so row k of a stream is handed out again before row k+1. When the queue moves to another
/// silo while this reader lives, <see cref="Shutdown(TimeSpan)"/> releases every row at once for the
/// same reason. <c>SKIP LOCKED</c> only skips rows another transaction holds at that instant
/// (a second reader during a hand-over, a delete or a sweep); such a row was either leased already
/// or is about to be deleted.</para>
/// <para>The one exception is a row whose delivery failed (see
/// <see cref="PostgresStreamFailureHandler"/>): Orleans' agent has already moved on to the rows
/// behind it when it reports the failure, so when the row is handed out again it arrives after
/// them. Consumers check <c>EventEnvelope.Sequence</c> for that case.</para>
/// </remarks>
public sealed partial class PostgresQueueAdapterReceiver : IQueueAdapterReceiver
{
    private readonly int _queue;
    private readonly PostgresQueueTable _table;
    private readonly Serializer<PostgresBatchContainer> _serializer;
    private readonly PostgresStreamOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private long _lastHandout;
    private readonly SemaphoreSlim _renewing = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _holdsRows;
    private DateTimeOffset _nextRenewal;
    private Task _renewals = Task.CompletedTask;
    private DateTimeOffset _nextSweep;

    public PostgresQueueAdapterReceiver(
        QueueId queueId,
        string owner,
        PostgresQueueTable table,
        Serializer<PostgresBatchContainer> serializer,
        PostgresStreamOptions options,
        TimeProvider time,
        ILogger<PostgresQueueAdapterReceiver> logger)
    {
        QueueId = queueId;
        _queue = (int)queueId.GetNumericId();
        Owner = owner;
        _table = table;
        _serializer = serializer;
        _options = options;
        _time = time;
        _logger = logger;

        // Tokens only grow within a receiver; starting from the clock keeps them growing across
        // the receivers one agent may create over time too.
        _lastHandout = time.GetUtcNow().UtcTicks;
        _nextSweep = time.GetUtcNow();
    }

    public QueueId QueueId { get; }

    /// <summary>The lease owner written on the rows this receiver claims; unique per receiver.</summary>
    public string Owner { get; }

    /// <summary>
    /// Starts renewing leases in the background as well: Orleans' agent stops polling while its
    /// cache is under pressure or a new stream registers, and the rows it holds must not lapse then.
    /// </summary>
    public Task Initialize(TimeSpan timeout)
    {
        _renewals = RenewWhileRunningAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await RenewIfDueAsync(cancellationToken);

        if (now >= _nextSweep)
        {
            _nextSweep = now + _options.RetentionSweepInterval;
            var (rows, deadLetters) = await _table.EvictExpiredAsync(_queue, _options.Retention, cancellationToken);
            if (rows + deadLetters > 0)
            {
                LogEvicted(_queue, rows, deadLetters, _options.Retention);
            }
        }

        var max = maxCount <= 0 ? _options.BatchSize : Math.Min(maxCount, _options.BatchSize);
        var claim = await _table.ClaimAsync(_queue, Owner, max, _options.Lease, _options.MaxAttempts, cancellationToken);
        foreach (var id in claim.DeadLettered)
        {
            LogDeadLettered(id, _queue, _options.MaxAttempts);
        }

        if (claim.Rows.Count == 0)
        {
            return [];
        }

        if (!_holdsRows)
        {
            await _renewing.WaitAsync(cancellationToken);
            _nextRenewal = now + _options.Lease / 3;
            _holdsRows = true;
            _renewing.Release();
        }

        var batches = new List<IBatchContainer>(claim.Rows.Count);
        foreach (var row in claim.Rows)
        {
            PostgresBatchContainer batch;
            try
            {
                batch = _serializer.Deserialize(row.Payload) ?? throw new InvalidDataException("the payload holds no batch");
            }
            catch (Exception ex)
            {
                // Never hand out what cannot be read, and never let it block the rows behind it.
                await _table.DeadLetterAsync(row.Id, $"the payload cannot be deserialized: {ex.GetType().Name}: {ex.Message}", cancellationToken);
                LogUnreadable(ex, row.Id, _queue);
                continue;
            }

            batch.Token = new PostgresStreamSequenceToken(++_lastHandout, row.Id);
            batches.Add(batch);
        }

        return batches;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    /// <summary>Orleans calls this with the batches its cache purged: delivered to every subscriber (failed ones are left out).</summary>
    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        var ids = messages.OfType<PostgresBatchContainer>().Where(m => m.Token is not null).Select(m => m.RowId).ToArray();
        await _table.DeleteAsync(ids, cancellationToken);
    }

    public Task Shutdown(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        return ShutdownAsync(cancellation.Token);
    }

    public async Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cancellation.CancelAfter(timeout);
        await ShutdownAsync(cancellation.Token);
    }

    private async Task RenewWhileRunningAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.Lease / 6, _time, cancellationToken);
                try
                {
                    await RenewIfDueAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRenewalFailed(ex, _queue);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private async Task RenewIfDueAsync(CancellationToken cancellationToken)
    {
        if (!_holdsRows || _time.GetUtcNow() < _nextRenewal)
        {
            return;
        }

        await _renewing.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            if (_holdsRows && now >= _nextRenewal)
            {
                _holdsRows = await _table.RenewAsync(_queue, Owner, _options.Lease, cancellationToken) > 0;
                _nextRenewal = now + _options.Lease / 3;
            }
        }
        finally
        {
            _renewing.Release();
        }
    }

    private async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _renewals;
        try
        {
            // Whoever reads the queue next takes these rows at once, in id order, instead of after the lease.
            var released = await _table.ReleaseAsync(_queue, Owner, cancellationToken);
            _holdsRows = false;
            if (released > 0)
            {
                LogReleased(released, _queue);
            }
        }
        catch (Exception ex)
        {
            // Not fatal: the leases lapse on their own.
            LogReleaseFailed(ex, _queue, _options.Lease);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the leases of stream queue {Queue} failed; retrying.")]
    private partial void LogRenewalFailed(Exception exception, int queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream queue row {RowId} of queue {Queue} was claimed {MaxAttempts} times without being delivered; moved to baton_stream_dead_letter.")]
    private partial void LogDeadLettered(long rowId, int queue, int maxAttempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream queue row {RowId} of queue {Queue} cannot be read; moved to baton_stream_dead_letter.")]
    private partial void LogUnreadable(Exception exception, long rowId, int queue);

    [LoggerMessage(Level = LogLevel.Information, Message = "Evicted {Rows} row(s) and {DeadLetters} dead letter(s) of stream queue {Queue} older than {Retention}.")]
    private partial void LogEvicted(int queue, long rows, long deadLetters, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Released {Count} undelivered row(s) of stream queue {Queue} on shutdown.")]
    private partial void LogReleased(int count, int queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the rows of stream queue {Queue} on shutdown; they become visible when their lease ({Lease}) lapses.")]
    private partial void LogReleaseFailed(Exception exception, int queue, TimeSpan lease);
}
