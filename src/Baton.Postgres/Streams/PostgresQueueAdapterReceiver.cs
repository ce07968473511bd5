using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Reads one stream queue for the pulling agent that owns it: holds the queue's lease, reads the queue's events
/// from the event log in position order, and moves the queue's cursor past events once Orleans reported them
/// delivered to every subscriber (in memory at once, in the database at most every
/// <see cref="PostgresStreamOptions.CursorInterval"/>). A failed delivery is handed out again after
/// <see cref="PostgresStreamOptions.RedeliveryDelay"/>, up to <see cref="PostgresStreamOptions.MaxAttempts"/>
/// hand-outs, then copied to the dead-letter table with the reason and passed.
/// </summary>
/// <remarks>
/// <para>Order. One reader holds a queue's lease at a time and reads it in position order; a stream's events are
/// appended one publish after another, so within a stream position order is publish order. The cursor only
/// passes a position once everything before it was delivered (or dead-lettered), so a reader that dies leaves a
/// cursor from which the next reader hands out again, in order, everything not yet delivered.</para>
/// <para>Failures. Orleans' agent has already moved on to the events behind a failed one when it reports the
/// failure, so an event handed out again arrives after them. Consumers check <c>EventEnvelope.Sequence</c> for
/// that case. Attempts are counted by the reader: a reader taking over a queue starts counting afresh.</para>
/// <para>Hand-over. The lease is renewed every third of <see cref="PostgresStreamOptions.Lease"/>, in the
/// background too (Orleans' agent stops polling while its cache is under pressure). When the reader's silo dies
/// the queue waits for the lease to lapse; when the queue moves to another silo while this reader lives,
/// <see cref="Shutdown(TimeSpan)"/> gives the lease up at once.</para>
/// </remarks>
public sealed partial class PostgresQueueAdapterReceiver : IQueueAdapterReceiver
{
    private readonly int _queue;
    private readonly PostgresStreamCursor _cursor;
    private readonly PostgresStreamOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _leasing = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();

    // Guarded by _gate.
    private readonly SortedSet<long> _inFlight = [];
    private readonly Dictionary<long, int> _attempts = [];
    private readonly List<(long Position, DateTimeOffset Due)> _redeliveries = [];
    private long _readThrough;
    private long _committed;
    private long _lastHandout;
    private int _generation;

    // When a delivery may write the cursor again (PostgresStreamOptions.CursorInterval after the last write).
    private DateTimeOffset _nextCursorWrite;

    private bool _leased;
    private DateTimeOffset _renewAt;
    private Task _renewals = Task.CompletedTask;
    private DateTimeOffset _nextSweep;

    public PostgresQueueAdapterReceiver(
        QueueId queueId,
        string owner,
        PostgresStreamCursor cursor,
        PostgresStreamOptions options,
        TimeProvider time,
        ILogger<PostgresQueueAdapterReceiver> logger)
    {
        QueueId = queueId;
        _queue = (int)queueId.GetNumericId();
        Owner = owner;
        _cursor = cursor;
        _options = options;
        _time = time;
        _logger = logger;

        // Tokens only grow within a receiver; starting from the clock keeps them growing across the receivers one
        // agent may create over time too.
        _lastHandout = time.GetUtcNow().UtcTicks;
        _nextSweep = time.GetUtcNow();
    }

    public QueueId QueueId { get; }

    /// <summary>The lease owner this receiver writes on the queue's cursor; unique per receiver.</summary>
    public string Owner { get; }

    /// <summary>Whether this receiver holds the queue's lease (as of its last look).</summary>
    public bool Leased => _leased;

    public Task Initialize(TimeSpan timeout)
    {
        _renewals = RenewWhileRunningAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        if (!await EnsureLeaseAsync(cancellationToken))
        {
            return [];
        }

        var now = _time.GetUtcNow();
        if (now >= _nextSweep)
        {
            _nextSweep = now + _options.RetentionSweepInterval;
            var evicted = await _cursor.EvictDeadLettersAsync(_queue, _options.Retention, cancellationToken);
            if (evicted > 0)
            {
                LogEvicted(_queue, evicted, _options.Retention);
            }
        }

        var max = maxCount <= 0 ? _options.BatchSize : Math.Min(maxCount, _options.BatchSize);
        var batches = new List<IBatchContainer>();
        int generation;
        long after;
        long[] due;
        lock (_gate)
        {
            generation = _generation;
            after = _readThrough;
            due = [.. _redeliveries.Where(r => r.Due <= now).Select(r => r.Position)];
            _redeliveries.RemoveAll(r => r.Due <= now);
        }

        if (due.Length > 0)
        {
            var again = await _cursor.ReadAtAsync(_queue, due, cancellationToken);
            lock (_gate)
            {
                if (generation == _generation)
                {
                    foreach (var e in again.Where(e => _inFlight.Contains(e.Position)))
                    {
                        batches.Add(HandOut(e));
                    }

                    // Evicted from the log meanwhile: nothing left to deliver.
                    foreach (var gone in due.Except(again.Select(e => e.Position)))
                    {
                        _inFlight.Remove(gone);
                        _attempts.Remove(gone);
                    }
                }
            }
        }

        var fresh = await _cursor.ReadAsync(_queue, after, max, cancellationToken);
        lock (_gate)
        {
            if (generation != _generation || after != _readThrough)
            {
                // The lease was lost and taken again meanwhile: the next call reads from the new cursor.
                return batches;
            }

            foreach (var e in fresh)
            {
                _inFlight.Add(e.Position);
                _readThrough = e.Position;
                batches.Add(HandOut(e));
            }
        }

        return batches;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    /// <summary>Orleans calls this with the events its cache purged: delivered to every subscriber (failed ones are left out).</summary>
    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var message in messages.OfType<PostgresBatchContainer>())
            {
                _inFlight.Remove(message.Position);
                _attempts.Remove(message.Position);
            }
        }

        if (_time.GetUtcNow() < _nextCursorWrite)
        {
            // Written soon enough: by a later delivery, the renewal loop or shutdown.
            return;
        }

        await AdvanceAsync(cancellationToken);
    }

    /// <summary>
    /// Counts a failed delivery of the event at <paramref name="position"/>: hands it out again after the
    /// redelivery delay, or, when it was handed out <see cref="PostgresStreamOptions.MaxAttempts"/> times, moves it
    /// to the dead-letter table with <paramref name="error"/> and passes it.
    /// </summary>
    public async Task<DeliveryFailureOutcome> DeliveryFailedAsync(long position, string error, CancellationToken cancellationToken = default)
    {
        int attempts;
        lock (_gate)
        {
            if (!_inFlight.Contains(position))
            {
                return DeliveryFailureOutcome.Gone;
            }

            attempts = _attempts.GetValueOrDefault(position, 1);
            if (attempts < _options.MaxAttempts)
            {
                _attempts[position] = attempts + 1;
                _redeliveries.Add((position, _time.GetUtcNow() + _options.RedeliveryDelay));
                return DeliveryFailureOutcome.Released;
            }
        }

        var reason = $"delivery failed on attempt {attempts} of {_options.MaxAttempts}: {error}";
        await _cursor.DeadLetterAsync(_queue, position, attempts, reason, cancellationToken);
        LogDeadLettered(position, _queue, attempts);
        lock (_gate)
        {
            _inFlight.Remove(position);
            _attempts.Remove(position);
        }

        await AdvanceAsync(cancellationToken);
        return DeliveryFailureOutcome.DeadLettered;
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

    private PostgresBatchContainer HandOut(QueuedEvent e) =>
        new(StreamId.Create(e.StreamNamespace, e.StreamKey), e.Envelope, new PostgresStreamSequenceToken(++_lastHandout, e.Position));

    /// <summary>Moves the cursor to just before the oldest event not yet delivered (or to the last read when none is pending).</summary>
    private async Task AdvanceAsync(CancellationToken cancellationToken)
    {
        long through;
        int generation;
        lock (_gate)
        {
            through = _inFlight.Count > 0 ? _inFlight.Min - 1 : _readThrough;
            if (!_leased || through <= _committed)
            {
                return;
            }

            generation = _generation;
            _nextCursorWrite = _time.GetUtcNow() + _options.CursorInterval;
        }

        if (await _cursor.AdvanceAsync(_queue, Owner, through, cancellationToken))
        {
            lock (_gate)
            {
                if (generation == _generation && through > _committed)
                {
                    _committed = through;
                }
            }
        }
    }

    /// <summary>True when this receiver holds the lease, taking or renewing it when due.</summary>
    private async Task<bool> EnsureLeaseAsync(CancellationToken cancellationToken)
    {
        if (_leased && _time.GetUtcNow() < _renewAt)
        {
            return true;
        }

        await _leasing.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            if (_leased && now < _renewAt)
            {
                return true;
            }

            var through = await _cursor.LeaseAsync(_queue, Owner, _options.Lease, cancellationToken);
            lock (_gate)
            {
                if (through is null)
                {
                    if (_leased)
                    {
                        LogLeaseLost(_queue, Owner);
                    }

                    _leased = false;
                    return false;
                }

                if (!_leased)
                {
                    // A fresh lease: start from the stored cursor, whatever this reader handed out before.
                    _generation++;
                    _readThrough = _committed = through.Value;
                    _inFlight.Clear();
                    _attempts.Clear();
                    _redeliveries.Clear();
                }

                _leased = true;
                _renewAt = now + _options.Lease / 3;
                return true;
            }
        }
        finally
        {
            _leasing.Release();
        }
    }

    private async Task RenewWhileRunningAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_options.Lease / 6, _time, cancellationToken);
                if (!_leased)
                {
                    // Taken by the next poll; renewing is for a reader that holds the queue while its agent pauses.
                    continue;
                }

                try
                {
                    await EnsureLeaseAsync(cancellationToken);

                    // Deliveries write the cursor at most every CursorInterval; this writes what the last ones left.
                    await AdvanceAsync(cancellationToken);
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

    private async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _renewals;
        try
        {
            await AdvanceAsync(cancellationToken);
            if (_leased)
            {
                // Whoever reads the queue next starts at once from the cursor, instead of after the lease.
                await _cursor.ReleaseAsync(_queue, Owner, cancellationToken);
                _leased = false;
            }
        }
        catch (Exception ex)
        {
            // Not fatal: the lease lapses on its own.
            LogReleaseFailed(ex, _queue, _options.Lease);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease or writing the cursor of stream queue {Queue} failed; retrying.")]
    private partial void LogRenewalFailed(Exception exception, int queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream queue {Queue}: the lease of reader {Owner} lapsed and another reader took the queue.")]
    private partial void LogLeaseLost(int queue, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event at position {Position} of stream queue {Queue} failed delivery {Attempts} time(s); moved to baton_stream_dead_letter.")]
    private partial void LogDeadLettered(long position, int queue, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Evicted {DeadLetters} dead letter(s) of stream queue {Queue} older than {Retention}.")]
    private partial void LogEvicted(int queue, long deadLetters, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give up the lease of stream queue {Queue} on shutdown; the next reader starts when it lapses ({Lease}).")]
    private partial void LogReleaseFailed(Exception exception, int queue, TimeSpan lease);
}

/// <summary>What became of an event whose delivery failed.</summary>
public enum DeliveryFailureOutcome
{
    /// <summary>It will be handed out again after the redelivery delay.</summary>
    Released,

    /// <summary>It used its last attempt and is now in the dead-letter table.</summary>
    DeadLettered,

    /// <summary>This reader does not hold it (delivered meanwhile, or the queue's lease moved).</summary>
    Gone,
}
