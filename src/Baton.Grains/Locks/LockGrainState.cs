using Baton.Grains.Common;
using Baton.Grains.Events;

namespace Baton.Grains.Locks;

/// <summary>What <see cref="LockGrain"/> persists: the lock and the events its changes caused, written together.</summary>
[GenerateSerializer, Alias("baton.locks.grain_state")]
public sealed class LockGrainState : IEventOutboxState, IHasWakeTime
{
    /// <summary>The next lease expiry or wait deadline: when the lock must act even if nobody calls it; null when it has neither.</summary>
    public DateTimeOffset? WakeAt =>
        Lock.Holders.Select(h => (DateTimeOffset?)h.Lease.ExpiresAt).Concat(Lock.Waiters.Select(w => (DateTimeOffset?)w.Deadline)).Min();

    [Id(0)] public LockState Lock { get; set; } = new();

    [Id(1)] public EventOutbox Outbox { get; set; } = new();
}
