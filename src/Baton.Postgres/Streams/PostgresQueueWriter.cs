using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Baton.Postgres.Streams;

/// <summary>One batch waiting to be written to the queue table.</summary>
public sealed record QueueAppend(int QueueId, string? StreamNamespace, string StreamKey, byte[] Payload);

/// <summary>
/// Writes the publishes of this process to the queue table in groups (group commit): while one
/// multi-row INSERT commits, the publishes that arrive meanwhile wait and go out together in the
/// next one. A publish completes only after the transaction holding its row committed, so it is
/// durable before it is acknowledged, as with one INSERT per publish; what changes is that N
/// concurrent publishes cost one statement and one WAL flush instead of N.
/// </summary>
/// <remarks>
/// Order. Rows of one group are inserted in arrival order, so they get ids in that order; a
/// publisher that awaits each publish (an outbox, a non-reentrant grain) never has two rows of
/// its stream in flight, so its rows keep publish order across groups too. A failed group fails
/// every publish in it and writes none of its rows; the publishers retry.
/// </remarks>
public sealed class PostgresQueueWriter : IAsyncDisposable
{
    /// <summary>The most rows one INSERT carries; more wait for the next group.</summary>
    public const int MaxGroup = 512;

    private readonly PostgresQueueTable _table;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;

    public PostgresQueueWriter(PostgresQueueTable table, ILogger<PostgresQueueWriter> logger)
    {
        _table = table;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Appends a batch to the end of its queue; completes once it is committed. Returns its row id.</summary>
    public Task<long> EnqueueAsync(QueueAppend append, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(append);
        var pending = new Pending(append);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(PostgresQueueWriter));
        }

        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        try
        {
            // Let what was accepted be written, then stop.
            await _writer.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync();
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var group = new List<Pending>(MaxGroup);
            while (await _pending.Reader.WaitToReadAsync(_stop.Token))
            {
                group.Clear();
                while (group.Count < MaxGroup && _pending.Reader.TryRead(out var next))
                {
                    group.Add(next);
                }

                try
                {
                    var ids = await _table.EnqueueManyAsync([.. group.Select(p => p.Append)], _stop.Token);
                    for (var i = 0; i < group.Count; i++)
                    {
                        group[i].Done.TrySetResult(ids[i]);
                    }
                }
                catch (Exception ex)
                {
                    // Nothing of the group was written; each publisher sees the failure and retries.
                    _logger.LogWarning(ex, "Writing {Count} publish(es) to the stream queue failed.", group.Count);
                    foreach (var pending in group)
                    {
                        pending.Done.TrySetException(ex);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            while (_pending.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new ObjectDisposedException(nameof(PostgresQueueWriter)));
            }
        }
    }

    private sealed class Pending(QueueAppend append)
    {
        public QueueAppend Append { get; } = append;

        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
