using Baton.Contracts;
using Baton.Grains.Common;
using Baton.Grains.Feed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.Streams;
using Orleans.Timers;

namespace Baton.Grains.Events;

public static class EventOutboxPublisher
{
    /// <summary>The reminder that retries events whose publish failed; registered only while such events remain.</summary>
    public const string ReminderName = "baton-outbox";
}

/// <summary>
/// Publishes the events of a grain's <see cref="EventOutbox"/> to their streams on provider
/// <see cref="BatonStreams.Provider"/>, in order, and drops them once published. One instance per
/// activation, created as a field of the grain:
/// <code>
/// public sealed class LockGrain(
///     [PersistentState("lock", "baton")] IPersistentState&lt;LockState&gt; state,
///     IGrainContext context) : Grain, ILockGrain, IRemindable
/// {
///     private readonly EventOutboxPublisher&lt;LockState&gt; _events = new(context, state);
///
///     // in a command: change state, state.State.Outbox.Append(...), then
///     await _events.WriteAndPublishAsync();
///
///     public Task ReceiveReminder(string name, TickStatus status) => _events.ReceiveReminderAsync(name);
/// }
/// </code>
/// </summary>
/// <remarks>
/// <para>Guarantee: an event appended to the outbox is published at least once. It is written with
/// the change that caused it and removed only after it was published, so a crash in between
/// delays it to the next activation (or the retry reminder) and never loses it; a crash after the
/// publish and before the removal was persisted publishes it again with the same
/// <see cref="EventEnvelope.EventId"/>, which consumers drop.</para>
/// <para>In Postgres mode the grain storage takes the pending events into the state's own write: they are
/// appended to the event log (which is the stream queue) in the same transaction, and dropped from the outbox
/// when the write returns, so there is nothing left to publish and no crash window at all. What follows applies
/// where the storage does not (dev mode's memory storage, or events left in a state stored before).</para>
/// <para>Removals are persisted lazily: by the next command's write, by the publish on activation
/// or reminder, or when the activation is deactivated. That costs one write per command, not two.</para>
/// <para>A crash between write and publish registers no reminder (nothing runs to register it), so
/// those events go out when the grain is next activated; a failed publish in a live activation
/// registers the <c>baton-outbox</c> reminder, which retries until the outbox is empty.</para>
/// <para>Create the publisher while the grain is constructed (a field initializer, as above): it
/// joins the grain's lifecycle to publish on activation and to persist removals on deactivation.
/// The grain must implement <see cref="IRemindable"/> and pass reminders to
/// <see cref="ReceiveReminderAsync"/>, and must not be reentrant while publishing (per-subject order
/// relies on one publish at a time).</para>
/// </remarks>
public sealed class EventOutboxPublisher<TState> where TState : IEventOutboxState
{
    // After the state was read (SetupState) and before the grain's own OnActivateAsync (Activate),
    // so leftovers are published before any new command can append behind them.
    private const int LifecycleStage = GrainLifecycleStage.Activate - 1;

    private readonly IGrainContext _grain;
    private readonly IPersistentState<TState> _state;
    private readonly IOutboxFaults? _faults;
    private readonly TimeSpan _retryPeriod;
    private readonly ILogger _logger;
    private readonly PublishedEventLog? _log;
    private IStreamProvider? _streams;
    private IGrainReminder? _reminder;
    private bool _removalUnsaved;
    private bool _abandoned;

    public EventOutboxPublisher(IGrainContext grain, IPersistentState<TState> state)
    {
        ArgumentNullException.ThrowIfNull(grain);
        ArgumentNullException.ThrowIfNull(state);
        _grain = grain;
        _state = state;
        var services = grain.ActivationServices;
        _faults = services.GetService<IOutboxFaults>();
        _log = services.GetService<PublishedEventLog>();
        _retryPeriod = services.GetService<IOptions<EventOutboxOptions>>()?.Value.RetryPeriod ?? new EventOutboxOptions().RetryPeriod;
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EventOutboxPublisher).FullName!);
        grain.ObservableLifecycle.Subscribe(typeof(EventOutboxPublisher).FullName!, LifecycleStage, OnActivateAsync, OnDeactivateAsync);
    }

    private EventOutbox Outbox => _state.State.Outbox;

    /// <summary>
    /// Writes the state (the change and the events appended for it, in one write), then publishes
    /// every pending event in order. A failed publish does not fail the call: the change is
    /// written and its events wait in the outbox for the retry reminder.
    /// </summary>
    /// <exception cref="StateConflictException">The write lost an ETag race; nothing was published.</exception>
    public async Task WriteAndPublishAsync()
    {
        ThrowIfAbandoned();
        try
        {
            await _state.WriteOrConflictAsync(_grain);
        }
        catch (StateConflictException)
        {
            // This activation's state is stale: it must not write again, not even on deactivation.
            _abandoned = true;
            throw;
        }

        await PublishWrittenAsync();
    }

    /// <summary>
    /// <see cref="WriteAndPublishAsync"/> for a state the storage did not read (<see cref="StateReads.IsUnread"/>): the
    /// write succeeds only when the guess was what is stored (nothing, or the remembered version). False when another
    /// stored state was found instead: nothing was written
    /// or published, this activation stays usable, and the grain must read the state and decide again.
    /// </summary>
    public async Task<bool> TryWriteFirstAndPublishAsync()
    {
        ThrowIfAbandoned();
        try
        {
            await _state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            return false;
        }

        await PublishWrittenAsync();
        return true;
    }

    /// <summary>After a successful write: the outbox as written is the stored one; publish what it still holds.</summary>
    private async Task PublishWrittenAsync()
    {
        _removalUnsaved = false;
        if (Outbox.HasPending)
        {
            await AtCrashPointAsync(f => f.AfterStateWrite(_grain.GrainId, [.. Outbox.Pending.Select(e => e.Envelope)]));
            await PublishAsync(persistRemoval: false);
        }
    }

    /// <summary>Publishes what is left in the outbox and persists the removal. True when nothing is left.</summary>
    public async Task<bool> PublishPendingAsync()
    {
        ThrowIfAbandoned();
        if (Outbox.HasPending)
        {
            await PublishAsync(persistRemoval: true);
        }

        return !Outbox.HasPending;
    }

    /// <summary>
    /// Handles the <see cref="EventOutboxPublisher.ReminderName"/> reminder: retries the pending
    /// events and unregisters the reminder once none remain. False for any other reminder, which
    /// the grain handles itself.
    /// </summary>
    public async Task<bool> ReceiveReminderAsync(string reminderName)
    {
        if (reminderName != EventOutboxPublisher.ReminderName)
        {
            return false;
        }

        if (!_abandoned && await PublishPendingAsync())
        {
            await UnregisterReminderAsync();
        }

        return true;
    }

    private async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_grain.GrainInstance is not IRemindable)
        {
            throw new InvalidOperationException(
                $"{_grain.GrainId} uses an event outbox and must implement {nameof(IRemindable)}, passing reminders to {nameof(ReceiveReminderAsync)}.");
        }

        if (Outbox.HasPending)
        {
            _logger.LogInformation("{Grain} activated with {Count} unpublished event(s); publishing them.", _grain.GrainId, Outbox.Pending.Count);
            await PublishAsync(persistRemoval: true);
        }
    }

    private async Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        if (!_removalUnsaved || _abandoned)
        {
            return;
        }

        if (StorageStopsWithSilo())
        {
            // Dev mode at shutdown: the in-memory store's own grains are already gone and its contents go with the silo,
            // so the write could only fail (with a page of placement errors).
            _logger.LogDebug("{Grain}: the silo is stopping and its grain storage is in memory; the removal of published events is not written.", _grain.GrainId);
            return;
        }

        await PersistRemovalAsync();
    }

    private bool StorageStopsWithSilo() =>
        _grain.ActivationServices.GetService<SiloMemoryGrainStorage>() is not null
        && _grain.ActivationServices.GetService<ISiloStatusOracle>()?.CurrentStatus.IsTerminating() == true;

    private async Task PublishAsync(bool persistRemoval)
    {
        var pending = Outbox.Pending.ToArray();
        var published = 0;
        Exception? failure = null;

        // Consecutive events of one stream (a change and the events derived from it) go out as one batch:
        // one enqueue instead of one per event, in the same order.
        while (published < pending.Length && failure is null)
        {
            var run = 1;
            while (published + run < pending.Length && SameStream(pending[published], pending[published + run]))
            {
                run++;
            }

            var ready = 0;
            try
            {
                for (; ready < run; ready++)
                {
                    if (_faults is not null)
                    {
                        await _faults.BeforePublish(_grain.GrainId, pending[published + ready].Envelope);
                    }
                }
            }
            catch (Exception ex)
            {
                // Stop at the first failure: publishing the ones behind it would break per-subject order.
                failure = ex;
            }

            if (ready == 0)
            {
                break;
            }

            try
            {
                var stream = Stream(pending[published]);
                if (_log is not null)
                {
                    await _log.AppendAsync(pending[published].Namespace, [.. pending.Skip(published).Take(ready).Select(e => e.Envelope)]);
                }

                if (ready == 1)
                {
                    await stream.OnNextAsync(pending[published].Envelope);
                }
                else
                {
                    await stream.OnNextBatchAsync([.. pending.Skip(published).Take(ready).Select(e => e.Envelope)]);
                }

                published += ready;
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }

        if (published > 0)
        {
            await AtCrashPointAsync(f => f.AfterPublish(_grain.GrainId, [.. pending.Take(published).Select(e => e.Envelope)]));
            Outbox.RemovePublished(published);
            _removalUnsaved = true;
            if (persistRemoval)
            {
                await PersistRemovalAsync();
            }
        }

        if (failure is not null)
        {
            var first = pending[published].Envelope;
            _logger.LogWarning(failure,
                "Publishing event {EventId} ({Type}, sequence {Sequence}) of {Grain} failed; {Count} event(s) stay in the outbox and are retried by reminder '{Reminder}'.",
                first.EventId, first.Type, first.Sequence, _grain.GrainId, pending.Length - published, EventOutboxPublisher.ReminderName);
            await RegisterReminderAsync();
        }
        else if (_reminder is not null)
        {
            await UnregisterReminderAsync();
        }
    }

    private static bool SameStream(OutboxEntry a, OutboxEntry b) =>
        string.Equals(a.Namespace, b.Namespace, StringComparison.Ordinal)
        && string.Equals(a.Envelope.Subject, b.Envelope.Subject, StringComparison.Ordinal);

    private IAsyncStream<EventEnvelope> Stream(OutboxEntry entry)
    {
        _streams ??= _grain.ActivationServices.GetRequiredKeyedService<IStreamProvider>(BatonStreams.Provider);
        return _streams.GetStream<EventEnvelope>(StreamId.Create(entry.Namespace, BatonStreams.KeyOf(entry.Namespace, entry.Envelope.Subject)));
    }

    private async Task PersistRemovalAsync()
    {
        try
        {
            await _state.WriteStateAsync();
            _removalUnsaved = false;
        }
        catch (InconsistentStateException ex)
        {
            // Another activation wrote: this one is stale. Its events were published; the winner's are its own.
            _logger.LogWarning(ex, "{Grain} lost an ETag race while dropping published events; deactivating.", _grain.GrainId);
            _abandoned = true;
            _grain.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "The grain state was changed by another activation."));
        }
        catch (Exception ex)
        {
            // Not fatal: the events were published, and if the removal never reaches storage they are published again.
            _logger.LogWarning(ex, "{Grain} could not persist the removal of published events; they may be published again.", _grain.GrainId);
        }
    }

    private async Task RegisterReminderAsync()
    {
        try
        {
            _reminder = await Reminders().RegisterOrUpdateReminder(_grain.GrainId, EventOutboxPublisher.ReminderName, _retryPeriod, _retryPeriod);
        }
        catch (Exception ex)
        {
            // The events stay in storage; the next command or activation publishes them.
            _logger.LogError(ex, "{Grain} could not register reminder '{Reminder}'; its pending events wait for the next call.",
                _grain.GrainId, EventOutboxPublisher.ReminderName);
        }
    }

    private async Task UnregisterReminderAsync()
    {
        try
        {
            var reminder = _reminder ?? await Reminders().GetReminder(_grain.GrainId, EventOutboxPublisher.ReminderName);
            if (reminder is not null)
            {
                await Reminders().UnregisterReminder(_grain.GrainId, reminder);
            }

            _reminder = null;
        }
        catch (Exception ex)
        {
            // Harmless: a reminder that fires on an empty outbox unregisters itself.
            _logger.LogWarning(ex, "{Grain} could not unregister reminder '{Reminder}'.", _grain.GrainId, EventOutboxPublisher.ReminderName);
        }
    }

    private IReminderRegistry Reminders() => _grain.ActivationServices.GetRequiredService<IReminderRegistry>();

    /// <summary>A fault injected here is a crash: the activation is dropped without touching storage again.</summary>
    private async Task AtCrashPointAsync(Func<IOutboxFaults, ValueTask> hook)
    {
        if (_faults is null)
        {
            return;
        }

        try
        {
            await hook(_faults);
        }
        catch
        {
            _abandoned = true;
            _grain.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "A fault was injected into the event outbox."));
            throw;
        }
    }

    private void ThrowIfAbandoned()
    {
        if (_abandoned)
        {
            throw new StateConflictException($"The activation of {_grain.GrainId} is being dropped; retry the call.");
        }
    }
}

/// <summary>
/// Registered when Baton's grain storage lives in the silo's own memory (dev mode): its contents go away with the silo,
/// so nothing is written to it while the silo stops.
/// </summary>
public sealed class SiloMemoryGrainStorage;
