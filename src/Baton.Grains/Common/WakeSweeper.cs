using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Baton.Grains.Common;

/// <summary>Tunables of <see cref="WakeSweeper"/> (<c>Services.Configure/// <summary>Tunables of <see cref="WakeSweeper"/> (configuration <c>Baton:Wakes</c>).</summary>lt;WakeSweepOptions/// <summary>Tunables of <see cref="WakeSweeper"/> (configuration <c>Baton:Wakes</c>).</summary>gt;</c>).</summary>
public sealed class WakeSweepOptions
{
    /// <summary>
    /// How often every silo looks for grains whose wake time has passed. It bounds how late a lock's expiry and
    /// hand-over happen after the silo hosting it died (plus <see cref="Grace"/>).
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long past its wake time a grain is left to its own timer before the sweeper calls it: an active grain
    /// acts within milliseconds, so what is still due after this is a grain whose silo died (or one that is late, for
    /// which the call is harmless).
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most grains one sweep calls at once; a sweep that found this many looks again right away.</summary>
    public int BatchSize { get; set; } = 256;
}

/// <summary>
/// Wakes grains whose stored wake time (<see cref="IHasWakeTime"/>) has passed by calling <see cref="IWakeableGrain.Wake"/>,
/// every <see cref="WakeSweepOptions.Interval"/> while the silo is active. This is the crash backstop of locks in
/// Postgres mode: a lock's state row names its next expiry or wait deadline, and after the silo hosting it died this
/// call activates it on a live silo, where it catches up. Every silo sweeps; a grain called twice only catches up
/// once, as the second call finds nothing due.
/// </summary>
public sealed class WakeSweeper(
    IDueWakes due, IGrainFactory grains, IOptions<WakeSweepOptions> options, TimeProvider time, ILogger<WakeSweeper> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly WakeSweepOptions _options = options.Value;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(nameof(WakeSweeper), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>One sweep now: calls every grain that is due; returns how many were called.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var woken = 0;
        while (true)
        {
            var batch = await due.DueAsync(time.GetUtcNow() - _options.Grace, Math.Max(1, _options.BatchSize), cancellationToken);
            await Task.WhenAll(batch.Select(WakeAsync));
            woken += batch.Count;
            if (batch.Count < _options.BatchSize)
            {
                return woken;
            }
        }
    }

    private async Task WakeAsync(GrainId grain)
    {
        try
        {
            await grains.GetGrain<IWakeableGrain>(grain).Wake();
        }
        catch (Exception ex)
        {
            // Still due in storage: the next sweep calls it again.
            logger.LogWarning(ex, "Waking {Grain} failed; the next sweep retries.", grain);
        }
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
        using var timer = new PeriodicTimer(_options.Interval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                var woken = await SweepAsync(cancellationToken);
                if (woken > 0)
                {
                    logger.LogInformation("Woke {Count} grain(s) whose wake time had passed.", woken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Looking for grains to wake failed; the next sweep tries again.");
            }
        }
    }
}
