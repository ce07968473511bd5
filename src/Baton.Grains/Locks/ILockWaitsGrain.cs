using Baton.Contracts.Locks;

namespace Baton.Grains.Locks;

/// <summary>What the deadlock detector asks of a lock (the same grain as <see cref="ILockGrain"/>, by the same key).</summary>
public interface ILockWaitsGrain : IGrainWithStringKey
{
    /// <summary>This lock's waits right now (its part of the wait-for graph).</summary>
    Task<IReadOnlyList<LockWait>> GetWaits();

    /// <summary>Ends the victim's wait with <see cref="LockOutcome.Deadlock"/>; false when it no longer waits here.</summary>
    Task<bool> ResolveDeadlock(DeadlockCycle cycle);
}

/// <summary>What locks tell the deadlock detector (the same grain as <see cref="IDeadlockDetectorGrain"/>).</summary>
public interface IWaitReportsGrain : IGrainWithStringKey
{
    /// <summary>The complete current waits of lock <paramref name="key"/>; empty when nobody waits there any more.</summary>
    Task ReportWaits(string key, IReadOnlyList<LockWait> waits);
}
