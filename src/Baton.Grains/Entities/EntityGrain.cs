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
/// <see cref="EntityChange"/> decide, writes the state with its history and outbox events in one write,
/// answers, then publishes on stream namespace <c>entities</c>. Refusals change nothing.
/// </summary>
/// <remarks>
/// Logs carry keys, versions, actors and masked transitions only, never state values: the transitions
/// in <see cref="EntityChangeDecision.Transitions"/> are masked by the kind's secret fields and the
/// run's secrets before they reach the log line.
/// </remarks>
public sealed class EntityGrain(
    [PersistentState("entity", "baton")] IPersistentState<EntityState> state,
    IGrainContext context,
    KindSchemaCache schemas,
    IOptions<EntityOptions> options,
    IRunSecrets runSecrets,
    [FromKeyedServices(EntityServiceKeys.Clock)] TimeProvider time,
    ILogger<EntityGrain> logger) : Grain, IEntityGrain, IRemindable
{
    private readonly EventOutboxPublisher<EntityState> _events = new(context, state);
    private KindContext? _kind;

    private string Key => this.GetPrimaryKeyString();

    public async Task<MutateResult> Mutate(MutateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (kindName, _) = EntityKey.Parse(Key);
        var kind = await KindAsync(kindName);
        IReadOnlyCollection<string> secrets = string.IsNullOrEmpty(request.RunId) ? [] : await runSecrets.GetAsync(request.RunId);
        var decision = EntityChange.Mutate(Key, state.State, request, kind, time.GetUtcNow(), secrets);
        if (decision.Error is not null)
        {
            logger.LogDebug("Entity {Key} refused a write by {Actor}: {Outcome}.", Key, request.Actor, decision.Outcome);
            decision.ThrowIfRefused();
        }

        if (EntityChange.Commit(Key, state.State, decision, options.Value))
        {
            await PersistAsync();
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
        if (EntityChange.Commit(Key, state.State, decision, options.Value))
        {
            await PersistAsync();
            logger.LogInformation("Entity {Key} removed at version {Version} by {Actor}.", Key, decision.Version, actor);
        }

        return decision.Removal!;
    }

    public Task<EntitySnapshot> Get() => Task.FromResult(EntityChange.Get(Key, state.State));

    public Task<IReadOnlyList<FieldTransition>> History(string? field, DateTimeOffset? since, int limit)
    {
        EntityKey.Parse(Key);
        return Task.FromResult(EntityHistory.Query(state.State.History, string.IsNullOrEmpty(field) ? null : field, since, limit));
    }

    public Task<FieldSince?> InStateSince(string field)
    {
        ValidateField(field);
        return Task.FromResult(state.State.Status == EntityStatus.Live ? EntityHistory.InStateSince(state.State.History, field) : null);
    }

    public Task<TimeSpan?> InStateFor(string field)
    {
        ValidateField(field);
        return Task.FromResult(state.State.Status == EntityStatus.Live
            ? EntityHistory.InStateFor(state.State.History, field, time.GetUtcNow())
            : null);
    }

    public Task<int> TransitionCount(string field, TimeSpan window)
    {
        ValidateField(field);
        return Task.FromResult(EntityHistory.TransitionCount(state.State.History, field, window, time.GetUtcNow()));
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
    private async Task PersistAsync()
    {
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
