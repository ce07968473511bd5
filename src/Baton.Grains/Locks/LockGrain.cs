using System.Runtime.ExceptionServices;
using Baton.Contracts;
using Baton.Contracts.Locks;
using Baton.Grains.Common;
using Baton.Grains.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Baton.Grains.Locks;

/// <summary>
/// One lock: <see cref="LockTable"/> decides, this grain orchestrates — take the turn, advance time, decide,
/// persist the state and its events in one write, publish, then answer. A grant (and its fencing token) is
/// written before it is returned; a refused call still persists what advancing time changed.
/// </summary>
/// <remarks>
/// <para>Time: a grain timer wakes the lock at the next lease expiry or wait deadline, so a lease that is not
/// heartbeated ends within moments of its expiry while the lock is active and the next waiter is granted at
/// once. After the silo hosting the lock died, something else must wake it. In Postgres mode that is the state row
/// itself: it names the next deadline (<see cref="LockGrainState.WakeAt"/>, written by the same statement as the
/// state) and every silo's <see cref="WakeSweeper"/> calls <see cref="Wake"/> on locks whose deadline passed, so a
/// busy lock costs no reminder row and no reminder-service timer. Without such storage (dev mode) a reminder
/// (<see cref="ReminderName"/>) is registered when the lock becomes busy (holders or waiters). Release does not
/// unregister it, so a lock taken and released over and over does not write the reminder table on every cycle;
/// it goes when the lock leaves memory (below), or, as the backstop, on a reminder tick that finds the lock idle.</para>
/// <para>Idle: when a command ends with no holders, no waiters and no caller waiting, the same timer is set to
/// <see cref="LockGrainOptions.IdleDeactivation"/>. If it fires with the lock still idle, nothing in flight and
/// no command for that long (a monotonic clock, not the lock clock), the lock unregisters its reminder (if it has
/// one) and deactivates, inside the turn; any command in between restarts the wait. When the unregister fails the
/// lock stays active and the reminder's tick unregisters it later. Everything a re-activation needs (fencing
/// tokens, remembered requests and lease ends) is in the persisted state.</para>
/// <para>Waiting: an Acquire that queues keeps a TaskCompletionSource in memory and awaits it outside the turn;
/// the end of every turn completes those whose request was granted, timed out or ended as a deadlock victim.
/// The request itself lives in the persisted state: if the activation dies the caller gets an error, and a
/// retry with the same RequestId waits on (or returns the outcome of) the same request.</para>
/// <para>Deadlocks: whenever this lock's waits change (and every <see cref="LockGrainOptions.WaitReportRefresh"/>
/// while it has waiters) it reports them to the <see cref="DeadlockDetectorGrain"/>, outside the turn.</para>
/// </remarks>
// Reentrant so that an Acquire waiting for its grant does not block the lock: heartbeats, releases and other
// requests must reach the lock meanwhile. It is safe because interleaving happens only at awaits and every
// command holds _turn (an async mutex) from reading the clock until its write, publish and reply are done:
// commands never see or write each other's half-done changes, writes and publishes stay one at a time (the
// ETag and the outbox's per-subject order rely on that), and the only await outside the turn is the wait of a
// queued Acquire for its outcome, which changes nothing.
[Reentrant]
public sealed class LockGrain(
    [PersistentState("lock", "baton")] IPersistentState<LockGrainState> state,
    IGrainContext context,
    [FromKeyedServices(LockServiceKeys.Clock)] TimeProvider time,
    IOptions<LockGrainOptions> options,
    ILogger<LockGrain> logger) : Grain, ILockGrain, ILockWaitsGrain, IWakeableGrain, IRemindable
{
    /// <summary>The expiry backstop reminder.</summary>
    public const string ReminderName = "baton-lock-expiry";

    // How long a waiting Acquire gives the wake timer after its deadline before ending the wait itself.
    private static readonly TimeSpan WaitGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);

    private readonly EventOutboxPublisher<LockGrainState> _events = new(context, state);
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Dictionary<string, List<TaskCompletionSource<AcquireOutcome>>> _waiting = new(StringComparer.Ordinal);
    private readonly LockGrainOptions _options = options.Value;
    private LockTable? _table;
    private string? _keyProblem;
    private IGrainTimer? _wake;
    private bool _storageWakes;
    private bool? _ownerIndex;

    // The reminder as this activation registered it (null when it did not, or unregistered it): unregistering
    // with it is one delete, without reading the row first.
    private IGrainReminder? _reminder;

    // Calls that entered a command (or a reminder delivery) and have not returned, including those still waiting
    // for the turn: the idle plan must not deactivate under them.
    private int _callsInFlight;

    // Environment.TickCount64 when the idle plan last started: the end of the last command that left the lock idle.
    private long _idleSince;
    private bool _stale;
    private string? _reportedWaits = "";
    private long _reportedAt;
    private IReadOnlyList<LockWait>? _pendingReport;
    private string? _pendingSignature;
    private bool _reporting;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        _keyProblem = LockKey.Problem(key);
        if (_keyProblem is not null)
        {
            // Every call is refused with the rule the key breaks; nothing is ever stored under it. The activation
            // is left to idle collection: deactivating now would bounce the call that activated it.
            return;
        }

        _table = new LockTable(key, state.State.Lock, _options.Table);
        _storageWakes = ServiceProvider.GetService<GrainStorageWakes>() is not null;
        _wake = this.RegisterGrainTimer(WakeAsync, new GrainTimerCreationOptions
        {
            DueTime = Timeout.InfiniteTimeSpan,
            Period = Timeout.InfiniteTimeSpan,
            Interleave = true,
        });

        if (IsBusy)
        {
            // Woken after a crash or by the reminder: catch up on expiries and deadlines before the first call.
            await RunAsync((table, now) => (0, table.Advance(now)), actor: null);
        }
        else
        {
            // Also when no command follows (woken for the outbox's reminder); a command that does restarts it. An
            // unread lock (Postgres mode) looks idle here; its first command reads it, and the wake sweeper's Wake
            // is such a command, so a lock whose silo died still catches up.
            PlanIdleDeactivation();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _wake?.Dispose();

        // Callers still waiting are told the request is still queued; it stays in the state for their retry.
        var now = time.GetUtcNow();
        foreach (var (requestId, waiters) in _waiting)
        {
            var status = _stale ? null : _table?.StatusOf(requestId, now);
            foreach (var waiter in waiters)
            {
                if (status is null)
                {
                    waiter.TrySetException(Retry($"the lock {this.GetPrimaryKeyString()} is being deactivated"));
                }
                else
                {
                    waiter.TrySetResult(status);
                }
            }
        }

        _waiting.Clear();
        return Task.CompletedTask;
    }

    public async Task<AcquireOutcome> Acquire(AcquireRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        TaskCompletionSource<AcquireOutcome>? waiter = null;
        var waitFor = TimeSpan.Zero;
        AcquireOutcome outcome;
        try
        {
            outcome = await RunAsync((table, now) =>
            {
                var known = table.StatusOf(request.RequestId, now) is not null;
                var result = table.Acquire(request, now);
                if (result.Outcome == LockOutcome.Queued)
                {
                    // Registered inside the turn, so the turn that grants it cannot come before it is listening.
                    waitFor = table.Queue(now).First(q => q.RequestId == request.RequestId).Deadline - now;
                    waiter = Listen(request.RequestId);
                }

                return (result, !known);
            }, request.Owner, mayGuess: true);
        }
        catch
        {
            if (waiter is not null)
            {
                StopListening(request.RequestId, waiter);
            }

            throw;
        }

        if (waiter is null)
        {
            return outcome;
        }

        // ReplyWithin answers Queued before the deadline and leaves the request queued; otherwise wait for the
        // outcome, giving the wake timer a grace period past the deadline.
        var replyAfter = request.ReplyWithin is { } replyWithin && replyWithin < waitFor ? replyWithin : waitFor + WaitGrace;
        using var cancel = new CancellationTokenSource();
        var timeout = Task.Delay(Clamp(replyAfter, MaxTimerDue), time, cancel.Token);
        if (await Task.WhenAny(waiter.Task, timeout) == waiter.Task)
        {
            await cancel.CancelAsync();
            return await waiter.Task;
        }

        // ReplyWithin passed (the answer is Queued unless the request was decided meanwhile), or the wake timer
        // should have ended the wait by now and this ends it in case it could not (e.g. a slow write).
        StopListening(request.RequestId, waiter);
        return await RunAsync((table, now) =>
        {
            var changed = table.Advance(now);
            return (table.StatusOf(request.RequestId, now) ?? throw Retry($"request '{request.RequestId}' is no longer known"), changed);
        }, actor: null);
    }

    public Task<HeartbeatResult> Heartbeat(string leaseId, string owner, TimeSpan ttl) =>
        RunAsync((table, now) => (table.Heartbeat(leaseId, owner, ttl, now), true), owner);

    public Task Release(string leaseId, string owner, string? reason) =>
        RunAsync((table, now) =>
        {
            var released = table.Release(leaseId, owner, reason, now);
            return (released, released);
        }, owner);

    public Task ForceRelease(string leaseId, string admin, string reason) =>
        RunAsync((table, now) =>
        {
            var released = table.ForceRelease(leaseId, admin, reason, now);
            return (released, released);
        }, admin);

    public Task<LockDescription> Describe() =>
        RunAsync((table, now) =>
        {
            var changed = table.Advance(now);
            return (table.Describe(now), changed);
        }, actor: null);

    public Task<bool> IsCurrent(long fencingToken) =>
        RunAsync((table, now) =>
        {
            var changed = table.Advance(now);
            return (table.IsCurrent(fencingToken, now), changed);
        }, actor: null);

    public Task<AcquireOutcome?> RequestStatus(string requestId)
    {
        LockLimits.CheckText("RequestId", requestId, LockLimits.MaxRequestIdLength);
        return RunAsync((table, now) =>
        {
            var changed = table.Advance(now);
            return (table.StatusOf(requestId, now), changed);
        }, actor: null);
    }

    public Task<IReadOnlyList<LockWait>> GetWaits() =>
        RunAsync((table, now) =>
        {
            var changed = table.Advance(now);
            return (table.Waits(), changed);
        }, actor: null);

    public Task<bool> ResolveDeadlock(DeadlockCycle cycle) =>
        RunAsync((table, now) =>
        {
            var resolved = table.ResolveDeadlock(cycle, now);
            return (resolved, resolved);
        }, actor: null);

    /// <summary>Called by <see cref="WakeSweeper"/> when the stored next deadline has passed: catch up on expiries and deadlines.</summary>
    public Task Wake() =>
        _keyProblem is not null || _stale ? Task.CompletedTask : RunAsync((table, now) => (0, table.Advance(now)), actor: null);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _callsInFlight++;
        try
        {
            await ReceiveReminderCoreAsync(reminderName);
        }
        finally
        {
            _callsInFlight--;
        }
    }

    private async Task ReceiveReminderCoreAsync(string reminderName)
    {
        await _turn.WaitAsync();
        try
        {
            if (await _events.ReceiveReminderAsync(reminderName))
            {
                return;
            }
        }
        finally
        {
            _turn.Release();
        }

        if (reminderName != ReminderName)
        {
            return;
        }

        if (_keyProblem is null && !_stale)
        {
            await RunAsync((table, now) => (0, table.Advance(now)), actor: null);
        }

        await _turn.WaitAsync();
        try
        {
            if (!IsBusy || _keyProblem is not null)
            {
                // The backstop of the idle plan's unregister (which failed, or never ran: the activation was
                // collected or its silo died). The row is read afresh rather than trusting _reminder.
                if (await this.GetReminder(ReminderName) is { } reminder)
                {
                    await this.UnregisterReminder(reminder);
                }

                _reminder = null;
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    private bool IsBusy => state.State.Lock.Holders.Count > 0 || state.State.Lock.Waiters.Count > 0;

    /// <summary>
    /// One command: inside the turn, decide at <c>now</c>, persist the change and its events when there is one,
    /// then (still inside the turn) wake waiters, re-arm the timer and the reminder, and report waits. Typed
    /// refusals (not the holder, unknown lease, bad input) are thrown after what advancing time changed was saved.
    /// </summary>
    /// <param name="mayGuess">
    /// The command may decide on an unread lock (Postgres mode, see <see cref="IReadOnDemand"/>) from the storage's
    /// guess: nothing stored, or the state this silo stored or read lately. An Acquire on a fresh key, or on a key
    /// this silo last wrote, is then granted with one write and no read. The guess stands only if that write finds
    /// the guessed row (none, or the remembered version); otherwise (or when the guess changed nothing to write) the
    /// lock is read and the command decided again. Every other command reads an unread lock first.
    /// </param>
    private async Task<T> RunAsync<T>(Func<LockTable, DateTimeOffset, (T Result, bool Changed)> decide, string? actor, bool mayGuess = false)
    {
        ThrowIfUnusable();
        _callsInFlight++;
        await _turn.WaitAsync(); // without a token or timeout it does not throw, so the finally below always runs
        try
        {
            while (true)
            {
                ThrowIfUnusable();
                var guessing = Unread && mayGuess;
                if (Unread && !guessing)
                {
                    await ReadStoredAsync();
                }

                var table = _table!;
                var now = time.GetUtcNow();
                var replacedHadEntries = state.State.Lock.Holders.Count > 0 || state.State.Lock.Waiters.Count > 0;
                T result = default!;
                var changed = false;
                ExceptionDispatchInfo? refusal = null;
                try
                {
                    (result, changed) = decide(table, now);
                }
                catch (Exception ex) when (ex is LeaseNotFoundException or NotLockHolderException or LockRequestException)
                {
                    refusal = ExceptionDispatchInfo.Capture(ex);
                }
                catch (Exception ex)
                {
                    // A fault inside a decision may leave the table half-changed: go back to what is stored.
                    await ResyncAsync(ex);
                    throw;
                }

                var events = table.TakeEvents();
                if (guessing && (refusal is not null || !(changed || events.Count > 0)))
                {
                    // Nothing to write would confirm the guess: answer from what is stored instead.
                    await ReadStoredAsync();
                    continue;
                }

                if (changed || events.Count > 0)
                {
                    // A lock that just became busy needs its crash backstop before the reply: register it beside the
                    // write instead of after it, so the grant waits for one storage round trip, not two.
                    var reminder = IsBusy && _reminder is null ? RegisterReminderAsync() : Task.CompletedTask;
                    bool written;
                    try
                    {
                        written = await PersistAsync(table, events, actor, now, guessing, replacedHadEntries);
                    }
                    finally
                    {
                        await reminder;
                    }

                    if (!written)
                    {
                        // The guess was wrong: a state is stored for this lock. Nothing of the guess was written or told.
                        await ReadStoredAsync();
                        continue;
                    }
                }

                await EndOfTurnAsync(now);
                refusal?.Throw();
                return result;
            }
        }
        finally
        {
            _turn.Release();
            _callsInFlight--;
        }
    }

    /// <summary>True while the storage has not read this lock (Postgres mode, see <see cref="IReadOnDemand"/>).</summary>
    private bool Unread => StateReads.IsUnread(state.Etag);

    /// <summary>
    /// Writes the state with its events and owner-index rows; false only when <paramref name="firstWrite"/> found a stored
    /// state other than the guess. <paramref name="replacedHadEntries"/>: whether the state before this command had a holder or a waiter.
    /// </summary>
    private async Task<bool> PersistAsync(LockTable table, IReadOnlyList<LockEvent> events, string? actor, DateTimeOffset now, bool firstWrite, bool replacedHadEntries)
    {
        foreach (var e in events)
        {
            var by = e switch
            {
                LockExpired or LockWaitTimedOut or LockDeadlockDetected => null,
                LockForceReleased forced => forced.Admin,
                _ => actor,
            };
            state.State.Outbox.Append(EventNamespaces.Locks, e.Type, table.Key, by, EventPayload.From<LockEvent>(e), now);
        }

        // Postgres mode: the owner index is this lock's rows, written by the same statement as its state.
        _ownerIndex ??= ServiceProvider.GetService<Owners.ILockOwnerIndex>() is not null;
        state.State.SideWrite = _ownerIndex == true ? Owners.LockOwnerRows.Of(table.Key, state.State.Lock, replacedHadEntries) : null;
        try
        {
            if (firstWrite)
            {
                return await _events.TryWriteFirstAndPublishAsync();
            }

            await _events.WriteAndPublishAsync();
            return true;
        }
        catch (StateConflictException)
        {
            // Another activation wrote first; this one is being deactivated and must not answer from its state.
            _stale = true;
            FailAllWaiters("the lock's state was changed by another activation");
            throw;
        }
        catch (Exception ex)
        {
            await ResyncAsync(ex);
            throw;
        }
        finally
        {
            state.State.SideWrite = null;
        }
    }

    /// <summary>
    /// After a failed write the memory is ahead of (or beside) storage: never answer from it. Re-read what is
    /// stored (which includes the write if it landed after all); when even that fails, the activation is dropped.
    /// </summary>
    private async Task ResyncAsync(Exception cause)
    {
        logger.LogWarning(cause, "Lock {Key}: a command failed; re-reading its stored state.", this.GetPrimaryKeyString());
        try
        {
            await ReadStoredAsync();
        }
        catch
        {
            return; // logged, and the activation is being dropped
        }

        _reportedWaits = null;
        SettleWaiters(time.GetUtcNow());
        _wake?.Change(RetryAfterFailure, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Reads what is stored (also when the storage skipped the read at activation) and decides from it from now on;
    /// when the read fails, the activation is dropped, since its memory may hold what was never stored.
    /// </summary>
    private async Task ReadStoredAsync()
    {
        try
        {
            state.State.ReadRequested = true;
            await state.ReadStateAsync();
            _table = new LockTable(this.GetPrimaryKeyString(), state.State.Lock, _options.Table);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Lock {Key}: its stored state could not be read; deactivating.", this.GetPrimaryKeyString());
            _stale = true;
            FailAllWaiters("the lock's state could not be read");
            this.DeactivateOnIdle();
            throw;
        }
    }

    private async Task EndOfTurnAsync(DateTimeOffset now)
    {
        SettleWaiters(now);
        ScheduleWake(now);
        ReportWaits();
        if (IsBusy && _reminder is null)
        {
            await RegisterReminderAsync();
        }
    }

    private async Task RegisterReminderAsync()
    {
        if (_storageWakes)
        {
            // The state row names the next deadline (LockGrainState.WakeAt) and WakeSweeper calls Wake when it passes.
            return;
        }

        try
        {
            _reminder = await this.RegisterOrUpdateReminder(ReminderName, _options.ReminderPeriod, _options.ReminderPeriod);
        }
        catch (Exception ex)
        {
            // The timer still runs while the lock is active; the next command tries again.
            logger.LogWarning(ex, "Lock {Key}: could not register the expiry reminder; retrying on the next command.", this.GetPrimaryKeyString());
        }
    }

    private void SettleWaiters(DateTimeOffset now)
    {
        if (_waiting.Count == 0 || _table is not { } table)
        {
            return;
        }

        foreach (var (requestId, waiters) in _waiting.ToList())
        {
            var status = table.StatusOf(requestId, now);
            if (status is { Outcome: LockOutcome.Queued })
            {
                continue;
            }

            _waiting.Remove(requestId);
            foreach (var waiter in waiters)
            {
                if (status is null)
                {
                    waiter.TrySetException(Retry($"request '{requestId}' was not stored"));
                }
                else
                {
                    waiter.TrySetResult(status);
                }
            }
        }
    }

    private void ScheduleWake(DateTimeOffset now)
    {
        if (_wake is null || _table is not { } table)
        {
            return;
        }

        var next = table.NextDeadline(now);
        if (state.State.Lock.Waiters.Count > 0)
        {
            // Waits are re-sent to the deadlock detector while they last (it keeps them in memory only).
            var refresh = now + _options.WaitReportRefresh;
            next = next is null || refresh < next ? refresh : next;
        }

        if (next is null)
        {
            // No lease and no wait: the lock is idle (SettleWaiters answered every caller of a request no longer queued).
            PlanIdleDeactivation();
            return;
        }

        // A few milliseconds late, so that the deadline has passed (expiry is "at or before now") when it fires.
        _wake.Change(Clamp(next.Value - now, MaxTimerDue) + TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan);
    }

    private async Task WakeAsync(CancellationToken cancellationToken)
    {
        if (_stale || _keyProblem is not null)
        {
            return;
        }

        if (!IsBusy && _waiting.Count == 0)
        {
            // Nothing can be due on an idle lock: this is the idle plan's wake (or a retry after a failure while idle).
            await DeactivateIfIdleAsync();
            return;
        }

        try
        {
            await RunAsync((table, now) => (0, table.Advance(now)), actor: null);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Lock {Key}: the wake-up failed; trying again shortly.", this.GetPrimaryKeyString());
            if (!_stale)
            {
                _wake?.Change(RetryAfterFailure, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Starts (or restarts) the wait of an idle lock: the wake timer fires after <see cref="LockGrainOptions.IdleDeactivation"/>.
    /// Called inside the turn, or during activation when no command can run.
    /// </summary>
    private void PlanIdleDeactivation()
    {
        _idleSince = Environment.TickCount64;
        if (_options.IdleDeactivation == Timeout.InfiniteTimeSpan)
        {
            _wake?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        _wake?.Change(Clamp(_options.IdleDeactivation, MaxTimerDue), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The idle plan's wake: inside the turn, if the lock is still idle, nothing is in flight and no command ended
    /// within <see cref="LockGrainOptions.IdleDeactivation"/>, unregister the expiry reminder and deactivate. A call
    /// that is waiting for the turn, or arrives during the unregister, postpones the plan instead: once Orleans
    /// starts deactivating it finishes the calls already running (one of them may queue an Acquire that would then
    /// hold the deactivation up until its deadline) and holds back new ones until the activation is gone.
    /// </summary>
    private async Task DeactivateIfIdleAsync()
    {
        await _turn.WaitAsync();
        try
        {
            if (_stale || IsBusy || _waiting.Count > 0 || _options.IdleDeactivation == Timeout.InfiniteTimeSpan)
            {
                // A command made it busy before this wake got the turn (that command's turn set the timer), or idle
                // locks are left to Orleans' collection and this was a retry after a failure.
                return;
            }

            if (_callsInFlight > 0 || _reporting)
            {
                PlanIdleDeactivation();
                return;
            }

            var idleFor = TimeSpan.FromMilliseconds(Environment.TickCount64 - _idleSince);
            if (idleFor < _options.IdleDeactivation)
            {
                // Woken early (a retry after a failure, or a plan longer than the timer's maximum due time).
                _wake?.Change(Clamp(_options.IdleDeactivation - idleFor, MaxTimerDue), Timeout.InfiniteTimeSpan);
                return;
            }

            if (_reminder is { } reminder)
            {
                try
                {
                    await this.UnregisterReminder(reminder);
                    _reminder = null;
                }
                catch (Exception ex)
                {
                    // Stay active: the reminder's next tick finds the lock idle, unregisters it and restarts the plan.
                    logger.LogWarning(ex, "Lock {Key}: could not unregister the expiry reminder of the idle lock; it stays active until the reminder's tick.",
                        this.GetPrimaryKeyString());
                    return;
                }

                if (_callsInFlight > 0)
                {
                    // Arrived during the unregister; if it makes the lock busy its turn registers the reminder again.
                    PlanIdleDeactivation();
                    return;
                }
            }

            this.DeactivateOnIdle();
        }
        finally
        {
            _turn.Release();
        }
    }

    private void ReportWaits()
    {
        if (_table is not { } table)
        {
            return;
        }

        var waits = table.Waits();
        var signature = string.Join("|", waits.Select(w => $"{w.RequestId}>{string.Join(",", w.BlockedBy)}"));
        var refreshDue = waits.Count > 0 && Environment.TickCount64 - _reportedAt >= _options.WaitReportRefresh.TotalMilliseconds;
        if (signature == _reportedWaits && !refreshDue)
        {
            return;
        }

        _pendingReport = waits;
        _pendingSignature = signature;
        if (!_reporting)
        {
            _ = PumpWaitReportsAsync();
        }
    }

    /// <summary>Sends the latest waits to the detector, one report at a time and in order, outside the turn.</summary>
    private async Task PumpWaitReportsAsync()
    {
        _reporting = true;
        try
        {
            var detector = GrainFactory.GetGrain<IWaitReportsGrain>(IDeadlockDetectorGrain.ClusterKey);
            while (_pendingReport is { } waits)
            {
                var signature = _pendingSignature;
                _pendingReport = null;
                _reportedAt = Environment.TickCount64;
                try
                {
                    await detector.ReportWaits(this.GetPrimaryKeyString(), waits);
                    _reportedWaits = signature;
                }
                catch (Exception ex)
                {
                    // Sent again on the next turn or refresh; deadlock detection waits for it.
                    _reportedWaits = null;
                    logger.LogWarning(ex, "Lock {Key}: could not report its waits to the deadlock detector.", this.GetPrimaryKeyString());
                }
            }
        }
        finally
        {
            _reporting = false;
        }
    }

    private TaskCompletionSource<AcquireOutcome> Listen(string requestId)
    {
        var waiter = new TaskCompletionSource<AcquireOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryGetValue(requestId, out var waiters))
        {
            _waiting[requestId] = waiters = [];
        }

        waiters.Add(waiter);
        return waiter;
    }

    private void StopListening(string requestId, TaskCompletionSource<AcquireOutcome> waiter)
    {
        if (_waiting.TryGetValue(requestId, out var waiters) && waiters.Remove(waiter) && waiters.Count == 0)
        {
            _waiting.Remove(requestId);
        }
    }

    private void FailAllWaiters(string why)
    {
        foreach (var waiter in _waiting.Values.SelectMany(w => w))
        {
            waiter.TrySetException(Retry(why));
        }

        _waiting.Clear();
    }

    private void ThrowIfUnusable()
    {
        if (_keyProblem is not null)
        {
            throw new LockRequestException("Key", _keyProblem);
        }

        if (_stale)
        {
            throw Retry("the activation is being replaced");
        }
    }

    private StateConflictException Retry(string why) =>
        new($"Lock {this.GetPrimaryKeyString()}: {why}; retry with the same request id to get the request's outcome.");

    private static TimeSpan Clamp(TimeSpan value, TimeSpan max) =>
        value < TimeSpan.Zero ? TimeSpan.Zero : value > max ? max : value;
}
