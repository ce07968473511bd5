using System.Runtime.ExceptionServices;
using Baton.Contracts;
using Baton.Contracts.Intents;
using Baton.Contracts.Locks;
using Baton.Grains.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Baton.Grains.Intents;

/// <summary>
/// One write intent, keyed by its idempotency key. <see cref="IntentDecisions"/> decides; this grain orchestrates:
/// take the turn, decide at <c>now</c>, persist the state and its events in one write, publish, re-arm the wake timer
/// and the reminder, then answer. Refusals change nothing.
/// </summary>
/// <remarks>
/// <para>Time: <see cref="IntentDecisions.Due"/> says what is due next (the approval deadline or an attempt) and when;
/// a grain timer wakes the intent then. While the intent is not terminal a reminder (<see cref="ReminderName"/>,
/// period <see cref="IntentOptions.ReminderPeriod"/>) is registered as well, so that expiry, retries and an attempt
/// cut short by a dying silo resume on another silo; it is registered again only when the kind of thing due
/// changes (expiry → attempt) and removed when the intent ends.</para>
/// <para>Execution: when an attempt is due, the fence (if any) is checked against its lock inside the turn, then
/// <see cref="IntentDecisions.BeginAttempt"/> records the attempt and <c>Sending</c>, which are written (with the
/// reminder registered) before the executor is called. The executor runs outside the turn, so reads, reviews of
/// other intents and cancels are not held up by a slow remote side, with <see cref="IntentOptions.AttemptTimeout"/>;
/// its result is recorded in a turn of its own. If the silo dies while <c>Sending</c>, the next activation finds the
/// attempt open, closes it as interrupted and tries again with the same idempotency key.</para>
/// <para>Indexes: after each change the reviewers' "needs my approval" entries (<see cref="ReviewerIndex"/>) are sent
/// to their <see cref="IReviewerGrain"/>s, and the intent's summary (<see cref="IntentIndexEntry"/>) to its
/// <see cref="IIntentIndexGrain"/> shard, outside the turn; see <see cref="ReviewerGrain"/> and
/// <see cref="IntentIndexGrain"/> for the consistency this gives. A failed update is tried again after
/// <see cref="IndexRetryDelay"/> while the intent is active, and on its next activation otherwise.</para>
/// <para>Rules: proposals and revisions are decided under the stored approval policy (<see cref="IApprovalPolicyGrain"/>)
/// over the configured rules (<see cref="IIntentRulesSource"/>); see <see cref="IntentPolicies.Apply"/>.</para>
/// </remarks>
// Reentrant so that an attempt in flight (awaiting a remote side for up to the attempt timeout) does not block
// reads and commands. It is safe because every state change holds _turn (an async mutex) from reading the clock
// until its write, publish and timer updates are done, so commands never see each other's half-done changes and
// writes and publishes stay one at a time (the ETag and the outbox's per-subject order rely on that); the awaits
// outside the turn are the executor call (_driving keeps it to one at a time) and the index updates, which change no state.
[Reentrant]
public sealed class WriteIntentGrain(
    [PersistentState("intent", "baton")] IPersistentState<IntentState> state,
    IGrainContext context,
    [FromKeyedServices(IntentServiceKeys.Clock)] TimeProvider time,
    IIntentRulesSource rulesSource,
    IOptions<IntentOptions> options,
    ILogger<WriteIntentGrain> logger) : Grain, IWriteIntentGrain, IRemindable
{
    /// <summary>The backstop reminder that resumes expiry and attempts after a silo died.</summary>
    public const string ReminderName = "baton-intent";

    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);
    private static readonly TimeSpan TimerLag = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan IndexRetryDelay = TimeSpan.FromSeconds(2);

    private readonly EventOutboxPublisher<IntentState> _events = new(context, state);
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly IntentOptions _options = options.Value;
    private IGrainTimer? _wake;
    private IGrainTimer? _indexRetry;
    private int _policyVersion;
    private IntentRules? _rulesBase;
    private IntentRules? _policyRules;
    private IntentRules _rules = IntentRules.Default;
    private DueKind? _reminderFor;
    private IGrainReminder? _reminder;
    private bool _stale;
    private bool _driving;
    private bool _driveAgain;
    private bool _indexing;
    private bool _indexAgain;

    private string Key => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _wake = this.RegisterGrainTimer(WakeAsync, new GrainTimerCreationOptions
        {
            DueTime = Timeout.InfiniteTimeSpan,
            Period = Timeout.InfiniteTimeSpan,
            Interleave = true,
        });

        if (!state.State.Exists)
        {
            return;
        }

        _rules = await rulesSource.GetAsync();

        // Woken after a crash, by the reminder or by a call: catch up on whatever is due (an open attempt resumes).
        if (IntentDecisions.Due(state.State).Kind != DueKind.None)
        {
            _wake.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        if (state.State.Phase == IntentPhase.PendingApproval || state.State.IndexedReviewers.Count > 0 || IntentIndexEntry.Behind(state.State))
        {
            SyncIndex();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _wake?.Dispose();
        _indexRetry?.Dispose();
        return Task.CompletedTask;
    }

    public async Task<ProposeResult> Propose(ProposeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        IntentDecisions.Validate(request);
        if (!state.State.Exists && ServiceProvider.GetKeyedService<IWriteExecutor>(request.InterfaceKey) is null)
        {
            throw new IntentValidationException(nameof(ProposeRequest.InterfaceKey), $"no executor is registered for interface '{request.InterfaceKey}'");
        }

        _rules = await DecidingRulesAsync();
        var result = await RunAsync(now =>
        {
            var proposed = IntentDecisions.Propose(Key, state.State, request, _rules, now);
            return (proposed, proposed.Created);
        });
        if (result.Created)
        {
            logger.LogInformation("Intent {IntentId} proposed by {Actor}: {Interface} {Operation} {Resource}, risk {Score} ({Level}), {Phase}.",
                Key, request.RequestedBy, request.InterfaceKey, request.Operation, request.ResourceRef, result.Intent.Risk.Score, result.Intent.Risk.Level, result.Intent.Phase);
        }

        return result;
    }

    public Task<IntentView> Get() =>
        RunAsync(_ => (state.State.Exists ? IntentDecisions.View(state.State) : throw IntentNotFoundException.For(Key), false));

    public async Task<ReviewResult> Review(string reviewer, ReviewAction action)
    {
        _rules = await rulesSource.GetAsync();
        var result = await RunAsync(now => (IntentDecisions.Review(Key, state.State, reviewer, action, _rules, now), true));
        logger.LogInformation("Intent {IntentId}: {Decision} by {Reviewer} for seat {Seat}; {Counted}/{Needed} approvals, {Phase}.",
            Key, action.Decision, reviewer, result.Record.Reviewer, result.ApprovalsCounted, result.ApprovalsNeeded, result.Phase);
        return result;
    }

    public async Task<IntentView> Revise(string actor, ReviseRequest request)
    {
        _rules = await DecidingRulesAsync();
        return await RunAsync(now => (IntentDecisions.Revise(Key, state.State, actor, request, _rules, now), true));
    }

    public Task<IntentView> Cancel(string actor, string? reason) =>
        RunAsync(now =>
        {
            var changed = IntentDecisions.Cancel(Key, state.State, actor, reason, now);
            return (IntentDecisions.View(state.State), changed);
        });

    public async Task<ExecutionPreview> Preview()
    {
        var intent = state.State.Intent ?? throw IntentNotFoundException.For(Key);
        var executor = ServiceProvider.GetKeyedService<IWriteExecutor>(intent.InterfaceKey)
            ?? throw new IntentValidationException(nameof(Intent.InterfaceKey), $"no executor is registered for interface '{intent.InterfaceKey}'");
        return await executor.PreviewAsync(intent, CancellationToken.None);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
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

        if (!state.State.Exists || IntentDecisions.Due(state.State).Kind == DueKind.None)
        {
            // Left over from an activation that ended before it could remove it.
            await UnregisterReminderAsync();
            return;
        }

        await DriveAsync();
    }

    /// <summary>The configured rules with the stored approval policy over them, compiled once per stored version.</summary>
    private async Task<IntentRules> DecidingRulesAsync()
    {
        var configured = await rulesSource.GetAsync();
        var stored = await GrainFactory.GetGrain<IApprovalPolicyGrain>(IApprovalPolicyGrain.Key).Get();
        if (stored is null)
        {
            return configured;
        }

        if (_policyRules is null || _policyVersion != stored.Version || !ReferenceEquals(_rulesBase, configured))
        {
            _policyRules = IntentPolicies.Apply(configured, stored);
            _policyVersion = stored.Version;
            _rulesBase = configured;
        }

        return _policyRules;
    }

    /// <summary>
    /// One change: inside the turn, decide at <c>now</c>, write the state and its events when something changed,
    /// then re-arm the timer and the reminder. Typed refusals are rethrown as they are (the decisions change nothing
    /// before refusing); any other fault re-reads the stored state, since memory may be half-changed.
    /// </summary>
    private async Task<T> RunAsync<T>(Func<DateTimeOffset, (T Result, bool Changed)> decide)
    {
        ThrowIfStale();
        await _turn.WaitAsync();
        try
        {
            ThrowIfStale();
            return await InTurnAsync(decide);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task<T> InTurnAsync<T>(Func<DateTimeOffset, (T Result, bool Changed)> decide)
    {
        var now = time.GetUtcNow();
        T result;
        bool changed;
        try
        {
            // A deadline that passed is applied before the call is decided, whether or not the timer got there first:
            // a review after the deadline finds the intent Expired.
            var expired = state.State.Exists && IntentDecisions.Expire(Key, state.State, now) == ExpireOutcome.Expired;
            (result, changed) = decide(now);
            changed |= expired;
        }
        catch (Exception ex) when (IsRefusal(ex))
        {
            throw;
        }
        catch (Exception ex)
        {
            await ResyncAsync(ex);
            throw;
        }

        if (changed)
        {
            // Whoever may be listed gets recorded in the same write, so a crash before the index is told only repeats work.
            var listed = ReviewerIndex.Entries(state.State, _rules, now).Keys;
            state.State.IndexedReviewers = [.. state.State.IndexedReviewers.Union(listed, StringComparer.Ordinal)];
            await PersistAsync();
            await EndOfTurnAsync(now);
            if (!AttemptsAtOnce(now))
            {
                SyncIndex();
            }
        }
        else if (IntentDecisions.Due(state.State) is { Kind: not DueKind.None } due && due.At <= now && !_driving)
        {
            // Something is due and no drive is under way (e.g. the timer was lost with a failed step): start one.
            ScheduleWake(due, now);
        }

        return result;
    }

    /// <summary>
    /// Approved with its first attempt due now (auto-approved, or a quorum just reached): Approved lasts only until the
    /// drive writes Sending a moment later, so the indexes are told then, one shard write fewer per intent. Should that
    /// step fail, the next change or activation brings the indexes up to date, as after any failed update.
    /// </summary>
    private bool AttemptsAtOnce(DateTimeOffset now) =>
        state.State.Phase == IntentPhase.Approved && IntentDecisions.Due(state.State) is { Kind: DueKind.Attempt } due && due.At <= now;

    private async Task PersistAsync()
    {
        try
        {
            await _events.WriteAndPublishAsync();
        }
        catch (StateConflictException)
        {
            // Another activation wrote first; this one must not answer or act from its state any more.
            _stale = true;
            this.DeactivateOnIdle();
            throw;
        }
        catch (Exception ex)
        {
            await ResyncAsync(ex);
            throw;
        }
    }

    private async Task ResyncAsync(Exception cause)
    {
        logger.LogWarning(cause, "Intent {IntentId}: a change failed; re-reading its stored state.", Key);
        try
        {
            await state.ReadStateAsync();
            _wake?.Change(RetryAfterFailure, Timeout.InfiniteTimeSpan);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Intent {IntentId}: its stored state could not be re-read; deactivating.", Key);
            _stale = true;
            this.DeactivateOnIdle();
        }
    }

    private async Task EndOfTurnAsync(DateTimeOffset now)
    {
        var due = IntentDecisions.Due(state.State);
        ScheduleWake(due, now);
        if (due.Kind == DueKind.None)
        {
            await UnregisterReminderAsync();
            return;
        }

        if (_reminderFor == due.Kind)
        {
            return;
        }

        // The first tick comes when the thing due is due (an approval deadline) or one period on (an attempt, whose
        // timer normally wins); the reminder only matters when this activation is gone by then.
        var first = due.Kind == DueKind.Expiry ? Clamp(due.At - now, TimeSpan.MaxValue) + _options.ReminderPeriod : _options.ReminderPeriod;
        try
        {
            _reminder = await this.RegisterOrUpdateReminder(ReminderName, first, _options.ReminderPeriod);
            _reminderFor = due.Kind;
        }
        catch (Exception ex)
        {
            // The timer still runs while the intent is active; the next change tries again.
            logger.LogWarning(ex, "Intent {IntentId}: could not register its reminder; retrying on the next change.", Key);
        }
    }

    private async Task UnregisterReminderAsync()
    {
        try
        {
            var reminder = _reminder ?? await this.GetReminder(ReminderName);
            if (reminder is not null)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminder = null;
            _reminderFor = null;
        }
        catch (Exception ex)
        {
            // Harmless: a tick that finds nothing due unregisters it.
            logger.LogWarning(ex, "Intent {IntentId}: could not unregister its reminder.", Key);
        }
    }

    private void ScheduleWake(IntentDue due, DateTimeOffset now)
    {
        if (_wake is null || _stale)
        {
            return;
        }

        if (due.Kind == DueKind.None)
        {
            _wake.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        // At once when it is due already (an auto-approved intent's first attempt); otherwise a few milliseconds late,
        // so that the due time has passed when it fires.
        var delay = due.At - now;
        _wake.Change(delay <= TimeSpan.Zero ? TimeSpan.Zero : Clamp(delay, MaxTimerDue) + TimerLag, Timeout.InfiniteTimeSpan);
    }

    private Task WakeAsync(CancellationToken cancellationToken) => DriveAsync();

    /// <summary>Does whatever is due, one step after the other, until nothing is due now; one drive at a time.</summary>
    private async Task DriveAsync()
    {
        if (_driving)
        {
            _driveAgain = true;
            return;
        }

        _driving = true;
        try
        {
            do
            {
                _driveAgain = false;
                while (!_stale && await StepAsync())
                {
                }
            }
            while (_driveAgain && !_stale);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Intent {IntentId}: a scheduled step failed; trying again shortly.", Key);
            if (!_stale)
            {
                _wake?.Change(RetryAfterFailure, Timeout.InfiniteTimeSpan);
            }
        }
        finally
        {
            _driving = false;
        }
    }

    /// <summary>One due step; false when nothing is due now (the timer is set for the next one).</summary>
    private async Task<bool> StepAsync()
    {
        var due = IntentDecisions.Due(state.State);
        var now = time.GetUtcNow();
        if (due.Kind == DueKind.None)
        {
            return false;
        }

        if (due.At > now)
        {
            ScheduleWake(due, now);
            return false;
        }

        if (due.Kind == DueKind.Expiry)
        {
            var outcome = await RunAsync(at =>
            {
                var expired = IntentDecisions.Expire(Key, state.State, at);
                return (expired, expired == ExpireOutcome.Expired);
            });
            if (outcome == ExpireOutcome.Expired)
            {
                logger.LogInformation("Intent {IntentId} expired waiting for approval.", Key);
            }

            return outcome == ExpireOutcome.Expired;
        }

        return await AttemptAsync();
    }

    /// <summary>Checks the fence, records the attempt (and Sending), calls the executor, records its result.</summary>
    private async Task<bool> AttemptAsync()
    {
        AttemptStart start;
        Intent intent;
        await _turn.WaitAsync();
        try
        {
            ThrowIfStale();
            intent = state.State.Intent!;

            // Immediately before the attempt, inside the turn: nothing else changes the intent between this answer and the write.
            var fence = FenceStatus.Unfenced;
            if (intent.Fence is { } f)
            {
                fence = await GrainFactory.GetGrain<ILockGrain>(f.LockKey).IsCurrent(f.Token) ? FenceStatus.Current : FenceStatus.Stale;
            }

            start = await InTurnAsync(now =>
            {
                var begun = IntentDecisions.BeginAttempt(Key, state.State, fence, now);
                return (begun, begun.Outcome != AttemptStartOutcome.NotDue);
            });
        }
        finally
        {
            _turn.Release();
        }

        switch (start.Outcome)
        {
            case AttemptStartOutcome.NotDue:
                return false;
            case AttemptStartOutcome.FenceRefused:
                logger.LogWarning("Intent {IntentId}: fence {LockKey} token {Token} is stale; failed without calling the executor.", Key, intent.Fence!.LockKey, intent.Fence.Token);
                return true;
            case AttemptStartOutcome.Exhausted:
                logger.LogWarning("Intent {IntentId}: its last allowed attempt was interrupted; failed.", Key);
                return true;
        }

        // Sending and the attempt are stored (and the reminder registered): from here a crash resumes with the same key.
        var result = await ExecuteAsync(intent, start);
        var recorded = await RunAsync(now =>
        {
            var r = IntentDecisions.RecordAttempt(Key, state.State, start.AttemptNumber, result, now);
            return (r, r.Outcome != AttemptRecordOutcome.Ignored);
        });
        logger.LogInformation("Intent {IntentId}: attempt {Attempt} {Outcome} ({Detail}); now {Phase}.",
            Key, start.AttemptNumber, result.Outcome, result.Detail, recorded.Phase);
        return true;
    }

    private async Task<ExecutionResult> ExecuteAsync(Intent intent, AttemptStart start)
    {
        var executor = ServiceProvider.GetKeyedService<IWriteExecutor>(intent.InterfaceKey);
        if (executor is null)
        {
            return new ExecutionResult { Outcome = ExecutionOutcome.PermanentFailure, Detail = $"no executor is registered for interface '{intent.InterfaceKey}'" };
        }

        var timeout = _options.AttemptTimeout;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            // WaitAsync as well, for an executor that does not honour its token.
            return await executor.ExecuteAsync(intent, start.IdempotencyKey, cancel.Token).WaitAsync(timeout + TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && cancel.IsCancellationRequested))
        {
            return new ExecutionResult { Outcome = ExecutionOutcome.RetryableFailure, Detail = $"the attempt timed out after {timeout}" };
        }
        catch (Exception ex)
        {
            return new ExecutionResult { Outcome = RetrySchedule.Classify(ex), Detail = $"the executor failed: {ex.GetType().Name}: {ex.Message}" };
        }
    }

    /// <summary>Brings the reviewers' indexes in line with the intent, outside the turn, one update run at a time.</summary>
    private void SyncIndex()
    {
        if (_indexing)
        {
            _indexAgain = true;
            return;
        }

        _ = SyncIndexAsync();
    }

    private async Task SyncIndexAsync()
    {
        _indexing = true;
        try
        {
            do
            {
                _indexAgain = false;
                var entries = ReviewerIndex.Entries(state.State, _rules, time.GetUtcNow());
                var stale = state.State.IndexedReviewers.Except(entries.Keys, StringComparer.Ordinal).ToList();
                var summary = IntentIndexEntry.Behind(state.State) ? IntentIndexEntry.Of(state.State) : null;
                var put = summary is null ? Task.CompletedTask : GrainFactory.GetGrain<IIntentIndexGrain>(IntentIndexing.ShardOf(Key)).Put(summary);
                await Task.WhenAll(entries.Select(e => GrainFactory.GetGrain<IReviewerGrain>(e.Key).Add(e.Value)).Append(put));
                await Task.WhenAll(stale.Select(r => GrainFactory.GetGrain<IReviewerGrain>(r).Remove(Key)));

                // Both in memory only: the next write stores them; until then a new activation repeats these updates.
                state.State.IndexedReviewers.RemoveAll(stale.Contains);
                if (summary is not null && summary.Version > state.State.IndexedVersion)
                {
                    state.State.IndexedVersion = summary.Version;
                }
            }
            while (_indexAgain && !_stale);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Intent {IntentId}: could not update its indexes; trying again shortly, and on the next change or activation.", Key);
            ScheduleIndexRetry();
        }
        finally
        {
            _indexing = false;
        }
    }

    private void ScheduleIndexRetry()
    {
        if (_stale)
        {
            return;
        }

        _indexRetry ??= this.RegisterGrainTimer((CancellationToken _) =>
        {
            SyncIndex();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions { DueTime = Timeout.InfiniteTimeSpan, Period = Timeout.InfiniteTimeSpan, Interleave = true });
        _indexRetry.Change(IndexRetryDelay, Timeout.InfiniteTimeSpan);
    }

    private static bool IsRefusal(Exception ex) =>
        ex is IntentValidationException or IntentConflictException or IntentNotFoundException or IntentForbiddenException
            or IllegalTransitionException or ReviewRefusedException or ArgumentException;

    private void ThrowIfStale()
    {
        if (_stale)
        {
            throw new StateConflictException($"Intent {Key}: the activation is being replaced; retry the call.");
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan max) =>
        value < TimeSpan.Zero ? TimeSpan.Zero : value > max ? max : value;
}
