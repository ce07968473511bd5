using Baton.Grains.Common;
using Microsoft.Extensions.Logging;

namespace Baton.Grains.Feed;

/// <summary>
/// Evicts events older than <see cref="EventLogOptions.Retention"/> every
/// <see cref="EventLogOptions.SweepInterval"/> while the silo is active. Every silo sweeps; eviction
/// is idempotent, so several sweeping at once only repeat each other's work.
/// </summary>
public sealed class EventLogSweeper(IEventLog log, EventLogOptions options, TimeProvider time, ILogger<EventLogSweeper> logger)
    : PeriodicSiloWork(time, logger)
{
    protected override TimeSpan Interval => options.SweepInterval;

    // The next sweep tries again; until then the log only keeps a little more than it must.
    protected override string FailureMessage => "Evicting old events from the event log failed; the next sweep tries again.";

    /// <summary>One sweep now; returns how many events were evicted.</summary>
    public Task<long> SweepAsync(CancellationToken cancellationToken = default) => log.EvictAsync(Time.GetUtcNow() - options.Retention, cancellationToken);

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var evicted = await SweepAsync(cancellationToken);
        if (evicted > 0)
        {
            logger.LogInformation("Evicted {Count} event(s) older than {Retention} from the event log.", evicted, options.Retention);
        }
    }
}
