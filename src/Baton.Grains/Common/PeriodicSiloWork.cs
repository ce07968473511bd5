using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Baton.Grains.Common;

/// <summary>
/// Background work every silo does on a period while it is active (from the silo lifecycle's Active stage until it
/// stops): <see cref="RunOnceAsync"/> every <see cref="Interval"/>, on <see cref="Time"/>'s clock. A round that fails is
/// logged and the next one tries again; stopping cancels the round in progress and waits for it.
/// </summary>
public abstract class PeriodicSiloWork(TimeProvider time, ILogger logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    /// <summary>The clock the period runs on.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>Time between two rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>One round of the work.</summary>
    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>What the log says when a round fails ("Evicting old events from the event log failed.").</summary>
    protected abstract string FailureMessage { get; }

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(GetType().Name, ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _stop = new CancellationTokenSource();
        _loop = RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _stop = null;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await RunOnceAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "{Failure}", FailureMessage);
            }
        }
    }
}
