namespace Baton.Contracts.Locks;

/// <summary>
/// Finds owners waiting on each other across locks and breaks each cycle by ending one wait (the victim's
/// acquire returns <see cref="LockOutcome.Deadlock"/> and its lock publishes <c>lock.deadlock_detected</c>).
/// One per cluster: use the key <see cref="ClusterKey"/>.
/// </summary>
public interface IDeadlockDetectorGrain : IGrainWithStringKey
{
    /// <summary>The key of the cluster's one detector.</summary>
    public const string ClusterKey = "cluster";

    /// <summary>The most recent deadlocks that were broken, oldest first (a bounded list).</summary>
    Task<IReadOnlyList<DeadlockCycle>> GetRecentDeadlocks();
}
