using Baton.Contracts;
using Baton.Contracts.Locks;
using Baton.Contracts.Owners;
using Baton.Grains.Common;
using Baton.Grains.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Baton.Grains.Owners;

/// <summary>What feeds an owner's index (the same grain as <see cref="IOwnerGrain"/>, by the same key).</summary>
public interface IOwnerIndexGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies one event of the <c>locks</c> stream about this owner; repeats and stale events change nothing.
    /// Completes once a state write that includes the event has succeeded. Interleaves with other calls so that
    /// events arriving while a write is in flight are covered together by the next write (group commit).
    /// </summary>
    [AlwaysInterleave]
    Task Apply(EventEnvelope envelope);
}

[GenerateSerializer, Alias("baton.owners.state")]
public sealed class OwnerIndexState
{
    /// <summary>Held leases by lease id.</summary>
    [Id(0)] public Dictionary<string, LockLease> Held { get; set; } = [];

    /// <summary>Waiting requests by <c>key + '\n' + request id</c>.</summary>
    [Id(1)] public Dictionary<string, OwnerWait> Waiting { get; set; } = [];

    // [Id(2)] was a ring of 256 seen event ids: the watermarks below already recognise repeats (a lock's events
    // carry increasing sequences), and serializing the ring cost ~9 KB on every write. Old states skip it on read.

    /// <summary>
    /// Per lock key, the last sequence applied: a repeat or an older event arriving late changes nothing. Kept for
    /// every key this owner holds or waits on, and for the <see cref="IdleWatermarks"/> keys that went idle last.
    /// </summary>
    [Id(3)] public SequenceWatermarks Watermarks { get; set; } = new();

    /// <summary>Keys with a watermark but no lease or wait here, the most recently idle last (a short list: the state is rewritten per event).</summary>
    [Id(4)] public List<string> IdleKeys { get; set; } = [];

    /// <summary>
    /// How many idle keys keep their watermark. Without a bound the state (rewritten on every event) would grow with
    /// every key the owner ever locked. A forgotten key is safe: a lock redelivers its events in order from its
    /// stream's cursor, so a late "acquired" is followed by its "released" again; only a failed delivery handed out
    /// again (after the redelivery delay) arrives out of order, and that is covered while its key is among these.
    /// </summary>
    public const int IdleWatermarks = 64;
}

/// <summary>
/// The owner index: the locks an owner holds and waits for. In dev mode it is kept here from the <c>locks</c> stream
/// (see <see cref="LockEventRouterGrain"/>), eventually consistent by design: it is a listing, and each lock remains
/// the truth about itself. When an <see cref="ILockOwnerIndex"/> is registered (Postgres mode: locks write their rows
/// in their own state writes), <see cref="GetLocks"/> reads it instead and this grain keeps no state.
/// </summary>
public sealed class OwnerGrain(
    [PersistentState("owner", "baton")] IPersistentState<OwnerIndexState> state,
    ILogger<OwnerGrain> logger) : Grain, IOwnerGrain, IOwnerIndexGrain
{
    public Task<OwnerLocks> GetLocks() =>
        ServiceProvider.GetService<ILockOwnerIndex>() is { } index
            ? index.ReadAsync(this.GetPrimaryKeyString())
            : Task.FromResult(LockOwnerRows.Listing(this.GetPrimaryKeyString(), state.State.Held.Values, state.State.Waiting.Values));

    // Group commit. Events are applied to the state only while no write is in flight (so a write never sees
    // the state change under it); those arriving meanwhile wait here and are all covered by the next write.
    private readonly List<(EventEnvelope Envelope, TaskCompletionSource Done)> _queued = [];
    private bool _draining;
    private Exception? _failed;

    public Task Apply(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (_failed is not null)
        {
            // Memory may be ahead of storage: this activation is going away; the stream redelivers to the next one.
            return Task.FromException(new StateConflictException(
                $"The owner index {this.GetPrimaryKeyString()} could not save its state ({_failed.GetType().Name}) and is being deactivated; retry."));
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queued.Add((envelope, done));
        if (!_draining)
        {
            _ = DrainAsync();
        }

        return done.Task;
    }

    private async Task DrainAsync()
    {
        _draining = true;
        try
        {
            while (_queued.Count > 0)
            {
                var batch = _queued.ToArray();
                _queued.Clear();
                var changed = false;
                foreach (var (envelope, _) in batch)
                {
                    changed |= ApplyToState(envelope);
                }

                if (changed)
                {
                    try
                    {
                        await state.WriteOrConflictAsync(this);
                    }
                    catch (Exception ex)
                    {
                        // The state holds events storage does not: never acknowledge from it again (a repeat would
                        // look seen). Fail everything waiting; a new activation re-reads storage.
                        _failed = ex;
                        foreach (var (_, done) in batch.Concat(_queued))
                        {
                            done.TrySetException(ex);
                        }

                        _queued.Clear();
                        this.DeactivateOnIdle();
                        return;
                    }
                }

                // A repeat or stale event is acknowledged here too: whatever it duplicates was written by an earlier
                // write that has completed (no write is in flight while events are applied).
                foreach (var (_, done) in batch)
                {
                    done.TrySetResult();
                }
            }
        }
        finally
        {
            _draining = false;
        }
    }

    /// <summary>Applies one event to the state in memory. True when it changed something to write.</summary>
    private bool ApplyToState(EventEnvelope envelope)
    {
        var s = state.State;
        if (!s.Watermarks.Advance(envelope))
        {
            return false;
        }

        ApplyEvent(s, envelope);
        ForgetIdle(s, envelope.Subject);

        // The watermark moved even for an event this version cannot read: write, as before.
        return true;
    }

    private void ApplyEvent(OwnerIndexState s, EventEnvelope envelope)
    {

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

    }

    /// <summary>Keeps watermarks of active keys and of the last <see cref="OwnerIndexState.IdleWatermarks"/> idle ones.</summary>
    private static void ForgetIdle(OwnerIndexState s, string key)
    {
        s.IdleKeys.Remove(key);
        if (!IsActive(s, key))
        {
            s.IdleKeys.Add(key);
        }

        while (s.IdleKeys.Count > OwnerIndexState.IdleWatermarks)
        {
            var oldest = s.IdleKeys[0];
            s.IdleKeys.RemoveAt(0);
            if (!IsActive(s, oldest))
            {
                s.Watermarks.Last.Remove(oldest);
            }
        }
    }

    private static bool IsActive(OwnerIndexState s, string key) =>
        s.Held.Values.Any(l => l.Key == key) || s.Waiting.Values.Any(w => w.Key == key);

    private static string WaitKey(LockEvent e) => e.Key + "\n" + e.RequestId;
}
