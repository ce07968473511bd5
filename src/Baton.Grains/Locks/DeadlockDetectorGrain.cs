using Baton.Contracts.Locks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Baton.Grains.Locks;

/// <summary>The persisted part of the detector: the deadlocks it broke, newest last.</summary>
[GenerateSerializer, Alias("baton.locks.deadlock_history")]
public sealed class DeadlockHistory
{
    [Id(0)] public List<DeadlockCycle> Recent { get; set; } = [];
}

/// <summary>
/// The cluster's wait-for graph. Locks report their waits (<see cref="IWaitReportsGrain.ReportWaits"/>) when
/// they change and every <see cref="LockGrainOptions.WaitReportRefresh"/> while they last; every
/// <see cref="LockGrainOptions.DetectionInterval"/> after a report the detector looks for cycles
/// (<see cref="WaitForGraph"/>), confirms each cycle with the locks themselves, and asks the victim's lock to end
/// that wait. A deadlock is therefore broken about a second after its last wait began, well within 5 s.
/// </summary>
/// <remarks>
/// The graph is kept in memory only: it is soft state that the locks' refreshes rebuild within one refresh
/// period after the detector moved to another silo. Reports arrive from many locks at different moments, so a
/// cycle in them may be a ghost (one of its waits already ended); confirming every edge with a fresh read
/// before choosing to act avoids killing a wait for a deadlock that no longer exists, and the victim's lock
/// refuses to end a wait that is no longer there.
/// </remarks>
public sealed class DeadlockDetectorGrain(
    [PersistentState("deadlocks", "baton")] IPersistentState<DeadlockHistory> history,
    [FromKeyedServices(LockServiceKeys.Clock)] TimeProvider time,
    IOptions<LockGrainOptions> options,
    ILogger<DeadlockDetectorGrain> logger) : Grain, IDeadlockDetectorGrain, IWaitReportsGrain
{
    private readonly LockGrainOptions _options = options.Value;
    private readonly Dictionary<string, (IReadOnlyList<LockWait> Waits, long ReportedAt)> _waits = new(StringComparer.Ordinal);
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // KeepAlive: the graph lives in this activation's memory, so it should not be collected while idle.
        this.RegisterGrainTimer(DetectAsync, new GrainTimerCreationOptions(_options.DetectionInterval, _options.DetectionInterval) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DeadlockCycle>> GetRecentDeadlocks() =>
        Task.FromResult<IReadOnlyList<DeadlockCycle>>(history.State.Recent.ToList());

    public Task ReportWaits(string key, IReadOnlyList<LockWait> waits)
    {
        ArgumentNullException.ThrowIfNull(waits);
        Remember(key, waits);
        _dirty = true;
        return Task.CompletedTask;
    }

    private void Remember(string key, IReadOnlyList<LockWait> waits)
    {
        if (waits.Count == 0)
        {
            _waits.Remove(key);
        }
        else
        {
            _waits[key] = (waits, Environment.TickCount64);
        }
    }

    private async Task DetectAsync(CancellationToken cancellationToken)
    {
        // A lock that stopped refreshing (its activation died) is forgotten; its successor reports again.
        var forgetBefore = Environment.TickCount64 - (long)(3 * _options.WaitReportRefresh.TotalMilliseconds);
        foreach (var key in _waits.Where(w => w.Value.ReportedAt < forgetBefore).Select(w => w.Key).ToList())
        {
            _waits.Remove(key);
        }

        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        var cycles = new WaitForGraph(_waits.Values.SelectMany(w => w.Waits)).FindDeadlocks(time.GetUtcNow(), _options.VictimPolicy);
        foreach (var cycle in cycles)
        {
            try
            {
                await BreakAsync(cycle);
            }
            catch (Exception ex)
            {
                // Looked at again after the locks' next reports.
                _dirty = true;
                logger.LogWarning(ex, "Could not break deadlock {Cycle}.", cycle.Describe());
            }
        }
    }

    private async Task BreakAsync(DeadlockCycle cycle)
    {
        var current = new Dictionary<string, IReadOnlyList<LockWait>>(StringComparer.Ordinal);
        foreach (var key in cycle.Waits.Select(w => w.Key).Distinct(StringComparer.Ordinal))
        {
            current[key] = await GrainFactory.GetGrain<ILockWaitsGrain>(key).GetWaits();
            Remember(key, current[key]);
        }

        for (var i = 0; i < cycle.Waits.Count; i++)
        {
            var wait = cycle.Waits[i];
            var blocker = cycle.Waits[(i + 1) % cycle.Waits.Count].Owner;
            if (!current[wait.Key].Any(w => w.RequestId == wait.RequestId && w.BlockedBy.Contains(blocker, StringComparer.Ordinal)))
            {
                logger.LogDebug("Deadlock {Cycle} is gone: {Owner} no longer waits for {Key} behind {Blocker}.", cycle.Describe(), wait.Owner, wait.Key, blocker);
                return;
            }
        }

        if (!await GrainFactory.GetGrain<ILockWaitsGrain>(cycle.Victim.Key).ResolveDeadlock(cycle))
        {
            return;
        }

        logger.LogInformation("Deadlock broken: {Cycle}; victim {Owner} waiting for {Key} (request {RequestId}).",
            cycle.Describe(), cycle.Victim.Owner, cycle.Victim.Key, cycle.Victim.RequestId);
        history.State.Recent.Add(cycle);
        if (history.State.Recent.Count > _options.RecentDeadlocks)
        {
            history.State.Recent.RemoveRange(0, history.State.Recent.Count - _options.RecentDeadlocks);
        }

        try
        {
            await history.WriteStateAsync();
        }
        catch (Exception ex)
        {
            // The deadlock was broken and its event published by the victim's lock; only the listing may lose it.
            logger.LogWarning(ex, "Could not store the deadlock history.");
        }
    }
}
