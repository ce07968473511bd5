using Baton.Contracts;
using Baton.Contracts.Locks;
using Baton.Contracts.Owners;
using Baton.Grains.Common;
using Baton.Grains.Events;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Baton.Grains.Owners;

/// <summary>What feeds an owner's index (the same grain as <see cref="IOwnerGrain"/>, by the same key).</summary>
public interface IOwnerIndexGrain : IGrainWithStringKey
{
    /// <summary>Applies one event of the <c>locks</c> stream about this owner; repeats and stale events change nothing.</summary>
    Task Apply(EventEnvelope envelope);
}

[GenerateSerializer, Alias("baton.owners.state")]
public sealed class OwnerIndexState
{
    /// <summary>Held leases by lease id.</summary>
    [Id(0)] public Dictionary<string, LockLease> Held { get; set; } = [];

    /// <summary>Waiting requests by <c>key + '\n' + request id</c>.</summary>
    [Id(1)] public Dictionary<string, OwnerWait> Waiting { get; set; } = [];

    /// <summary>Delivery is at-least-once: repeats are recognised by event id.</summary>
    [Id(2)] public EventDeduplicator Seen { get; set; } = new(capacity: 256);

    /// <summary>Per lock key, the last sequence applied: an older event arriving late changes nothing.</summary>
    [Id(3)] public SequenceWatermarks Watermarks { get; set; } = new();
}

/// <summary>
/// The owner index: the locks an owner holds and waits for, kept from the <c>locks</c> stream (see
/// <see cref="LockEventRouterGrain"/>). Eventually consistent by design: it is a listing, and each lock
/// remains the truth about itself.
/// </summary>
public sealed class OwnerGrain(
    [PersistentState("owner", "baton")] IPersistentState<OwnerIndexState> state,
    ILogger<OwnerGrain> logger) : Grain, IOwnerGrain, IOwnerIndexGrain
{
    public Task<OwnerLocks> GetLocks() => Task.FromResult(new OwnerLocks
    {
        Owner = this.GetPrimaryKeyString(),
        Held = state.State.Held.Values.OrderBy(l => l.Key, StringComparer.Ordinal).ThenBy(l => l.FencingToken).ToList(),
        Waiting = state.State.Waiting.Values.OrderBy(w => w.Key, StringComparer.Ordinal).ThenBy(w => w.EnqueuedAt).ToList(),
    });

    public async Task Apply(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var s = state.State;
        if (!s.Seen.FirstSeen(envelope) || !s.Watermarks.Advance(envelope))
        {
            return;
        }

        var lockEvent = LockEventPayload.Read(envelope, logger);
        switch (lockEvent)
        {
            case LockAcquired acquired:
                s.Held[acquired.Lease.LeaseId] = acquired.Lease;
                s.Waiting.Remove(WaitKey(acquired));
                break;
            case LockQueued queued:
                s.Waiting[WaitKey(queued)] = new OwnerWait
                {
                    Key = queued.Key,
                    RequestId = queued.RequestId ?? "",
                    Mode = queued.Mode,
                    Priority = queued.Priority,
                    EnqueuedAt = queued.OccurredAt,
                    Deadline = queued.Deadline,
                };
                break;
            case LockReleased released:
                s.Held.Remove(released.LeaseId);
                break;
            case LockExpired expired:
                s.Held.Remove(expired.LeaseId);
                break;
            case LockForceReleased forced:
                s.Held.Remove(forced.LeaseId);
                break;
            case LockWaitTimedOut or LockDeadlockDetected:
                s.Waiting.Remove(WaitKey(lockEvent));
                break;
        }

        await state.WriteOrConflictAsync(this);
    }

    private static string WaitKey(LockEvent e) => e.Key + "\n" + e.RequestId;
}
