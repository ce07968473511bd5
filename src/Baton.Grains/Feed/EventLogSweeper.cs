using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Baton.Grains.Feed;

/// <summary>
/// Evicts events older than <see cref="EventLogOptions.Retention"/> every
/// <see cref="EventLogOptions.SweepInterval"/> while the silo is active. Every silo sweeps; eviction
/// is idempotent, so several sweeping at once only repeat each other's work.
/// </summary>
public sealed class EventLogSweeper(IEventLog log, EventLogOptions options, TimeProvider time, ILogger<EventLogSweeper> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(nameof(EventLogSweeper), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>One sweep now; returns how many events were evicted.</summary>
    public Task<long> SweepAsync(CancellationToken cancellationToken = default) => log.EvictAsync(time.GetUtcNow() - options.Retention, cancellationToken);

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
        using var timer = new PeriodicTimer(options.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                var evicted = await SweepAsync(cancellationToken);
                if (evicted > 0)
                {
                    logger.LogInformation("Evicted {Count} event(s) older than {Retention} from the event log.", evicted, options.Retention);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next sweep tries again; until then the log only keeps a little more than it must.
                logger.LogWarning(ex, "Evicting old events from the event log failed.");
            }
        }
    }
}
