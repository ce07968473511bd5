using Baton.Grains.Common;
using Baton.Grains.Events;

namespace Baton.Grains.Locks;

/// <summary>What <see cref="LockGrain"/> persists: the lock and the events its changes caused, written together.</summary>
[GenerateSerializer, Alias("baton.locks.grain_state")]
public sealed class LockGrainState : IEventOutboxState, IHasWakeTime, ICarriesSideWrite, IReadOnDemand
{
    /// <summary>Set right before an explicit read (see <see cref="IReadOnDemand"/>); never stored.</summary>
    [field: NonSerialized]
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ReadRequested { get; set; }

    /// <summary>The lock's owner-index rows for the next write (Postgres mode), set by the grain around it; never stored in the state.</summary>
    [field: NonSerialized]
    [System.Text.Json.Serialization.JsonIgnore]
    public object? SideWrite { get; set; }

    /// <summary>The next lease expiry or wait deadline: when the lock must act even if nobody calls it; null when it has neither.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset? WakeAt =>
        Lock.Holders.Select(h => (DateTimeOffset?)h.Lease.ExpiresAt).Concat(Lock.Waiters.Select(w => (DateTimeOffset?)w.Deadline)).Min();

    [Id(0)] public LockState Lock { get; set; } = new();

    [Id(1)] public EventOutbox Outbox { get; set; } = new();
}
