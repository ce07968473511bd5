using Baton.Contracts.Locks;

namespace Baton.Grains.Locks;

/// <summary>
/// The whole persisted truth of one lock; <see cref="LockTable"/> makes every decision on it. Plain
/// settable members so both Orleans' serializer and the JSON grain-storage serializer round-trip it.
/// </summary>
[GenerateSerializer, Alias("baton.locks.state")]
public sealed class LockState
{
    /// <summary>The token of the latest grant ever made on this key; the next grant gets one more.</summary>
    [Id(0)] public long LastFencingToken { get; set; }

    [Id(1)] public List<LockHolder> Holders { get; set; } = [];

    /// <summary>Waiters in arrival order; grant order is computed (<see cref="LockTable.Queue"/>).</summary>
    [Id(2)] public List<LockWaiter> Waiters { get; set; } = [];

    /// <summary>A bounded memory of how recent requests ended, so retries get the same outcome.</summary>
    [Id(3)] public List<RememberedRequest> Requests { get; set; } = [];

    /// <summary>A bounded memory of ended leases: idempotent releases, informative "not found" errors, forced-release records.</summary>
    [Id(4)] public List<LeaseEnd> EndedLeases { get; set; } = [];
}
