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
    : PeriodicSiloWork(time, logger)
{
    /// <summary>The most batches one sweep fetches; what is left waits for the next sweep.</summary>
    public const int MaxBatchesPerSweep = 16;

    private readonly WakeSweepOptions _options = options.Value;

    protected override TimeSpan Interval => _options.Interval;

    protected override string FailureMessage => "Looking for grains to wake failed; the next sweep tries again.";

    /// <summary>
    /// One sweep now: calls the grains that are due, a batch at a time, and looks again after a full batch, up to
    /// <see cref="MaxBatchesPerSweep"/> batches (grains whose wake keeps failing stay due and would otherwise be
    /// fetched again and again); returns how many calls were made.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var size = Math.Max(1, _options.BatchSize);
        var woken = 0;
        for (var batches = 0; batches < MaxBatchesPerSweep; batches++)
        {
            var batch = await due.DueAsync(Time.GetUtcNow() - _options.Grace, size, cancellationToken);
            await Task.WhenAll(batch.Select(WakeAsync));
            woken += batch.Count;
            if (batch.Count < size)
            {
                break;
            }
        }

        return woken;
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

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var woken = await SweepAsync(cancellationToken);
        if (woken > 0)
        {
            logger.LogInformation("Woke {Count} grain(s) whose wake time had passed.", woken);
        }
    }
}
