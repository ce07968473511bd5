using Baton.Grains.Common;
using Baton.Contracts;
using Baton.Contracts.Entities;
using Baton.Grains.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Grains.Entities;

/// <summary>
/// One entity, keyed <c>kind/id</c>. Every write reads the kind's current definition from its
/// <see cref="IEntityKindGrain"/> (the compiled schema is cached per kind version), lets
/// <see cref="EntityChange"/> decide, appends the version's transitions and the answer to the
/// <see cref="IEntityHistoryStore"/>, writes the state with its outbox events in one write, answers, then
/// publishes on stream namespace <c>entities</c>. Refusals change nothing.
/// </summary>
/// <remarks>
/// <para>History and answers are appended before the state write and read through the persisted version
/// (<see cref="EntityVisibility"/>), so those of a write whose state write failed are never seen, and the next
/// write tidies them away. A no-op's answer needs no state write at all.</para>
/// <para>Logs carry keys, versions, actors and masked transitions only, never state values: the transitions
/// in <see cref="EntityChangeDecision.Transitions"/> are masked by the kind's secret fields and the
/// run's secrets before they reach the log line.</para>
/// </remarks>
public sealed class EntityGrain(
    [PersistentState("entity", "baton")] IPersistentState<EntityState> state,
    IGrainContext context,
    KindSchemaCache schemas,
    IEntityHistoryStore history,
    IOptions<EntityOptions> options,
    IRunSecrets runSecrets,
    [FromKeyedServices(EntityServiceKeys.Clock)] TimeProvider time,
    ILogger<EntityGrain> logger) : Grain, IEntityGrain, IRemindable
{
    // Rows moved from a legacy state: their change ids were never recorded, and the state has none (ChangeId null shows any).
    private const string LegacyChangeId = "legacy";

    private readonly EventOutboxPublisher<EntityState> _events = new(context, state);
    private KindContext? _kind;
    private bool? _sideWrites;
    private RequestMemory? _requests;

    private string Key => this.GetPrimaryKeyString();

    private EntityVisibility Visible => EntityVisibility.Of(state.State);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.History.Count > 0 || state.State.Requests.Count > 0)
        {
            await MoveLegacyHistoryAsync(cancellationToken);
        }
    }

    public async Task<MutateResult> Mutate(MutateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (kindName, _) = EntityKey.Parse(Key);
        var kind = await KindAsync(kindName);
        IReadOnlyCollection<string> secrets = string.IsNullOrEmpty(request.RunId) ? [] : await runSecrets.GetAsync(request.RunId);
        var requests = _requests ??= await LoadRequestsAsync();
        var decision = EntityChange.Mutate(Key, state.State, request, kind, time.GetUtcNow(), secrets, requests);
        if (decision.Error is not null)
        {
            logger.LogDebug("Entity {Key} refused a write by {Actor}: {Outcome}.", Key, request.Actor, decision.Outcome);
            decision.ThrowIfRefused();
        }

        var withState = await RecordAsync(decision);
        if (EntityChange.Commit(Key, state.State, decision))
        {
            await PersistAsync(withState);
            PruneNowAndThen(decision.At);
        }

        if (decision.Remember is { } answer)
        {
            requests.Remember(answer, options.Value);
        }

        if (decision.Outcome == EntityChangeOutcome.Applied)
        {
            var masking = kind!.Masking(secrets);
            logger.LogInformation(
                "Entity {Key} changed to version {Version} by {Actor}: {Transitions}.",
                Key, decision.Version, request.Actor, masking.Text(Describe(decision.Transitions)));
        }

        return decision.Mutation!;
    }

    public async Task<RemoveResult> Remove(string actor, long? expectedVersion)
    {
        var (kindName, _) = EntityKey.Parse(Key);

        // Only a live entity needs its kind (for masking and derivers); removing nothing needs none.
        var kind = state.State.Status == EntityStatus.Live ? await KindAsync(kindName) : null;
        var decision = EntityChange.Remove(Key, state.State, actor, expectedVersion, kind, time.GetUtcNow());
        decision.ThrowIfRefused();
        var withState = await RecordAsync(decision);
        if (EntityChange.Commit(Key, state.State, decision))
        {
            await PersistAsync(withState);
            PruneNowAndThen(decision.At);
            logger.LogInformation("Entity {Key} removed at version {Version} by {Actor}.", Key, decision.Version, actor);
        }

        return decision.Removal!;
    }

    public Task<EntitySnapshot> Get() => Task.FromResult(EntityChange.Get(Key, state.State));

    public Task<IReadOnlyList<FieldTransition>> History(string? field, DateTimeOffset? since, int limit)
    {
        EntityKey.Parse(Key);
        EntityHistory.ValidateLimit(limit);
        return history.QueryAsync(Key, Visible, string.IsNullOrEmpty(field) ? null : field, since, limit);
    }

    public Task<FieldSince?> InStateSince(string field)
    {
        ValidateField(field);
        return Task.FromResult(state.State.Status == EntityStatus.Live ? EntityHistory.Since(state.State.Latest, field) : null);
    }

    public Task<TimeSpan?> InStateFor(string field)
    {
        ValidateField(field);
        return Task.FromResult(state.State.Status == EntityStatus.Live && EntityHistory.Since(state.State.Latest, field) is { } since
            ? time.GetUtcNow() - since.Since
            : (TimeSpan?)null);
    }

    public Task<int> TransitionCount(string field, TimeSpan window)
    {
        ValidateField(field);
        if (window < TimeSpan.Zero)
        {
            throw new EntityValidationException("Window", "must not be negative");
        }

        var now = time.GetUtcNow();
        return history.CountAsync(Key, Visible, field, now - window, now);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!await _events.ReceiveReminderAsync(reminderName))
        {
            logger.LogWarning("Entity {Key} got unknown reminder {Reminder}; ignoring it.", Key, reminderName);
        }
    }

    /// <summary>The kind's current definition with its compiled schema; throws <see cref="EntityKindNotDefinedException"/> when it has none.</summary>
    private async Task<KindContext> KindAsync(string kindName)
    {
        var description = await GrainFactory.GetGrain<IEntityKindGrain>(kindName).Describe()
            ?? throw new EntityKindNotDefinedException(kindName);
        if (_kind is null || _kind.Version != description.Version)
        {
            _kind = new KindContext(description, await schemas.GetAsync(description));
        }

        return _kind;
    }

    /// <summary>
    /// Writes the state and publishes its events. When the write fails, the activation's state may hold a
    /// change storage does not have: re-read what storage has and let the activation go, so no later call
    /// (and no deactivation) builds on or writes the refused change.
    /// </summary>
    /// <summary>
    /// Gets the decision's history record written: with the state when storage can (returned, to be handed to
    /// <see cref="PersistAsync"/>), otherwise now, before the state is changed or written. A write that changes no state
    /// (a no-op's remembered answer) is always appended now.
    /// </summary>
    private async Task<EntityRecord?> RecordAsync(EntityChangeDecision decision)
    {
        if (decision.Record is not { } record)
        {
            return null;
        }

        _sideWrites ??= ServiceProvider.GetService<GrainStorageSideWrites>() is not null;
        if (_sideWrites == true && decision.Outcome is EntityChangeOutcome.Applied or EntityChangeOutcome.Removed)
        {
            return record;
        }

        await history.AppendAsync(record);
        return null;
    }

    private async Task PersistAsync(EntityRecord? withState)
    {
        state.State.SideWrite = withState;
        try
        {
            await _events.WriteAndPublishAsync();
        }
        catch (StateConflictException)
        {
            // The publisher has abandoned this activation and Orleans deactivates it.
            throw;
        }
        catch (Exception ex)
        {
            logger.LogWarning("Entity {Key} could not write its state ({Error}); re-reading it and deactivating.", Key, ex.GetType().Name);
            try
            {
                await state.ReadStateAsync();
            }
            catch (Exception readFailure)
            {
                logger.LogWarning("Entity {Key} could not re-read its state either ({Error}).", Key, readFailure.GetType().Name);
            }

            DeactivateOnIdle();
            throw;
        }
        finally
        {
            state.State.SideWrite = null;
        }
    }

    /// <summary>The answers this entity gave that are still remembered, from the history store.</summary>
    private async Task<RequestMemory> LoadRequestsAsync()
    {
        var limits = options.Value;
        var answers = await history.RequestsAsync(Key, Visible, time.GetUtcNow() - limits.RememberRequestsFor, Math.Max(1, limits.RememberedRequests));
        return new RequestMemory(answers);
    }

    /// <summary>
    /// Applies retention to this entity's rows in the history store after every <see cref="EntityHistoryOptions.PruneEvery"/>th
    /// version, in the background: a slow or failed pruning delays retention, never a write.
    /// </summary>
    private void PruneNowAndThen(DateTimeOffset now)
    {
        var limits = options.Value;
        if (state.State.Version % Math.Max(1, limits.History.PruneEvery) != 0)
        {
            return;
        }

        var (key, visible) = (Key, Visible);
        _ = Task.Run(async () =>
        {
            try
            {
                await history.PruneAsync(key, visible, now, limits);
            }
            catch (Exception ex)
            {
                logger.LogWarning("Entity {Key} could not apply history retention ({Error}); the next pruning retries.", key, ex.GetType().Name);
            }
        });
    }

    /// <summary>
    /// State written before history moved out of it still carries history and answers: append them to the history store
    /// (idempotent, so a crash before the next state write repeats it harmlessly) and drop them from the state, which
    /// the next write then persists without them.
    /// </summary>
    private async Task MoveLegacyHistoryAsync(CancellationToken cancellationToken)
    {
        var legacy = state.State;
        foreach (var version in legacy.History.GroupBy(t => t.Version))
        {
            await history.AppendAsync(new EntityRecord { Key = Key, Version = version.Key, ChangeId = LegacyChangeId, Transitions = [.. version] }, cancellationToken);
        }

        foreach (var answer in legacy.Requests)
        {
            // Answered as a no-op (no change id): visible whenever its version is, which it is, being at most the current one.
            await history.AppendAsync(new EntityRecord { Key = Key, Version = Math.Min(answer.Result.Version, legacy.Version), Request = answer }, cancellationToken);
        }

        if (legacy.Latest.Count == 0)
        {
            EntityHistory.SetLatest(legacy.Latest, legacy.History);
        }

        logger.LogInformation("Entity {Key} moved {Transitions} transition(s) and {Answers} answer(s) from its state to the history store.", Key, legacy.History.Count, legacy.Requests.Count);
        legacy.History = [];
        legacy.Requests = [];
    }

    private void ValidateField(string field)
    {
        EntityKey.Parse(Key);
        if (string.IsNullOrEmpty(field))
        {
            throw new EntityValidationException("Field", "must name a top-level field");
        }
    }

    private static string Describe(IReadOnlyList<FieldTransition> transitions) =>
        string.Join(", ", transitions.Select(t => $"{t.Field}: {t.From ?? "(absent)"} -> {t.To ?? "(absent)"}"));
}
