using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Baton.Postgres;

/// <summary>
/// Group commit for one kind of write: callers hand in items, one loop writes whatever has arrived as one group (one
/// statement batch, one transaction, one WAL flush), and each caller completes once the transaction holding its item
/// committed: durable before acknowledged, as with a transaction per item, at a fraction of the round trips and flushes.
/// </summary>
/// <remarks>
/// <para>Order. Items are written in arrival order within and across groups; a caller that awaits each write (a grain)
/// never has two items in flight.</para>
/// <para>Failure. A group that fails as a whole is written again one item per transaction, so an item that cannot be
/// written fails alone and not the items it happened to share a group with. Nothing of a failed transaction is kept.</para>
/// </remarks>
/// <typeparam name="TItem">What a caller writes.</typeparam>
/// <typeparam name="TResult">What the write tells each caller, in item order.</typeparam>
public sealed class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private readonly string _what;
    private readonly int _maxGroup;
    private readonly Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> _write;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="what">What is written, for logs ("grain state writes").</param>
    /// <param name="maxGroup">The most items one transaction carries; more wait for the next.</param>
    /// <param name="write">Writes a group in one transaction and returns one result per item, in order.</param>
    public GroupCommit(string what, int maxGroup, Func<IReadOnlyList<TItem>, CancellationToken, Task<IReadOnlyList<TResult>>> write, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        _what = what;
        _maxGroup = maxGroup;
        _write = write;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Writes <paramref name="item"/> with whatever else is being written; completes once it committed.</summary>
    public Task<TResult> WriteAsync(TItem item, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(item);
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(_what);
        }

        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes what was accepted (for up to 5 s), then stops; later writes are refused.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync();
            await _loop;
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var group = new List<Pending>(_maxGroup);
        try
        {
            while (await _pending.Reader.WaitToReadAsync(_stop.Token))
            {
                group.Clear();
                while (group.Count < _maxGroup && _pending.Reader.TryRead(out var next))
                {
                    group.Add(next);
                }

                try
                {
                    Complete(group, await _write([.. group.Select(p => p.Item)], _stop.Token));
                }
                catch (Exception ex) when (group.Count > 1 && ex is not OperationCanceledException)
                {
                    _logger.LogWarning(ex, "A group of {Count} {What} failed as a whole; writing them one by one.", group.Count, _what);
                    foreach (var pending in group)
                    {
                        try
                        {
                            Complete([pending], await _write([pending.Item], _stop.Token));
                        }
                        catch (Exception single)
                        {
                            pending.Done.TrySetException(single);
                        }
                    }
                }
                catch (Exception ex)
                {
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
            foreach (var pending in group)
            {
                pending.Done.TrySetException(new ObjectDisposedException(_what));
            }

            while (_pending.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new ObjectDisposedException(_what));
            }
        }
    }

    private static void Complete(IReadOnlyList<Pending> group, IReadOnlyList<TResult> results)
    {
        if (results.Count != group.Count)
        {
            throw new InvalidOperationException($"A group write returned {results.Count} result(s) for {group.Count} item(s).");
        }

        for (var i = 0; i < group.Count; i++)
        {
            group[i].Done.TrySetResult(results[i]);
        }
    }

    private sealed class Pending(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
