using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Contracts;
using Baton.Contracts.Entities;

namespace Baton.Grains.Entities;

/// <summary>What <see cref="EntityChange"/> decided about one write.</summary>
public enum EntityChangeOutcome
{
    /// <summary>A real change: new version, transitions and events.</summary>
    Applied,

    /// <summary>The write changes nothing structurally: same version, no transition, no event (only the request id is remembered).</summary>
    NoOp,

    /// <summary>A retry of a request id already answered: its first answer, nothing else.</summary>
    Repeated,

    /// <summary>The resulting state fails the kind's schema: nothing changes; <see cref="EntityChangeDecision.Error"/> says why.</summary>
    SchemaRejected,

    /// <summary>The expected version is not current: nothing changes; <see cref="EntityChangeDecision.Error"/> names the current version.</summary>
    VersionConflict,

    /// <summary>The entity became a tombstone: new version and a change event with <c>next = null</c>.</summary>
    Removed,

    /// <summary>Removing a tombstone: nothing changes.</summary>
    AlreadyRemoved,

    /// <summary>Removing an entity that was never written: nothing changes.</summary>
    NotFound,
}

/// <summary>
/// The decision about one write, computed without touching the state; <see cref="EntityChange.Commit"/>
/// applies it. Refusals carry their typed exception in <see cref="Error"/> for the grain to throw.
/// </summary>
public sealed record EntityChangeDecision
{
    public EntityChangeOutcome Outcome { get; init; }

    /// <summary>The answer to a mutation (null for removals and refusals).</summary>
    public MutateResult? Mutation { get; init; }

    /// <summary>The answer to a removal.</summary>
    public RemoveResult? Removal { get; init; }

    /// <summary>An <see cref="EntitySchemaException"/> or <see cref="EntityVersionConflictException"/> for a refusal.</summary>
    public Exception? Error { get; init; }

    /// <summary>The new version (the current one when nothing changes).</summary>
    public long Version { get; init; }

    /// <summary>The new live state as JSON text with real values; null for a removal or when nothing changes.</summary>
    public string? NextState { get; init; }

    /// <summary>The masked field transitions the change records.</summary>
    public IReadOnlyList<FieldTransition> Transitions { get; init; } = [];

    /// <summary><c>entity.changed</c> first, then the derived trigger events; payloads masked.</summary>
    public IReadOnlyList<PlannedEvent> Events { get; init; } = [];

    /// <summary>The answer to remember under its request id (applied changes and no-ops).</summary>
    public RememberedMutation? Remember { get; init; }

    /// <summary>What to append to the <see cref="IEntityHistoryStore"/> before the state write (applied changes, removals and no-ops).</summary>
    public EntityRecord? Record { get; init; }

    public string Actor { get; init; } = "";

    public DateTimeOffset At { get; init; }

    /// <summary>True when <see cref="EntityChange.Commit"/> changes the state, which the grain must then write (a no-op's answer goes to the history store only).</summary>
    public bool RequiresWrite => Outcome is EntityChangeOutcome.Applied or EntityChangeOutcome.Removed;

    /// <summary>Throws <see cref="Error"/> when the write was refused.</summary>
    public void ThrowIfRefused()
    {
        if (Error is not null)
        {
            throw Error;
        }
    }
}

/// <summary>
/// The change pipeline of an entity as pure functions: decide what a write does to an
/// <see cref="EntityState"/> (snapshot, apply, validate, diff, record, publish, derive), then commit
/// the decision. A grain wraps it: read state, <c>Mutate</c>/<c>Remove</c> with <c>now</c>, append
/// <see cref="EntityChangeDecision.Record"/> to the history store, <c>Commit</c>, write the state and publish the
/// outbox, then remember the answer; refusals change nothing.
/// </summary>
public static class EntityChange
{
    /// <summary>
    /// Decides a <see cref="MutateRequest"/> on entity <paramref name="key"/>. Throws
    /// <see cref="EntityValidationException"/> for a malformed request and <see cref="EntityKindNotDefinedException"/>
    /// when <paramref name="kind"/> is null; returns schema rejections and version conflicts as decisions.
    /// </summary>
    /// <param name="runSecrets">The secrets registered for <see cref="MutateRequest.RunId"/>, masked in history and events.</param>
    /// <param name="requests">The answers remembered so far; a request id found there is answered as before.</param>
    public static EntityChangeDecision Mutate(
        string key, EntityState state, MutateRequest request, KindContext? kind, DateTimeOffset now, IEnumerable<string>? runSecrets = null, RequestMemory? requests = null)
    {
        var (kindName, id) = EntityKey.Parse(key);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(request);
        ValidateRequest(request);
        if (kind is null)
        {
            throw new EntityKindNotDefinedException(kindName);
        }

        if (kind.Kind != kindName)
        {
            throw new ArgumentException($"The kind context is for '{kind.Kind}', not '{kindName}'.", nameof(kind));
        }

        // Parsed once: the fingerprint and the change are made from the same node.
        var asked = request.Patch is not null ? CanonicalJson.Parse(request.Patch, "Patch") : CanonicalJson.Parse(request.State, "State");
        var fingerprint = Fingerprint(request, asked);
        if (requests?.Find(request.RequestId) is { } remembered)
        {
            return remembered.Fingerprint == fingerprint
                ? new EntityChangeDecision { Outcome = EntityChangeOutcome.Repeated, Mutation = remembered.Result, Version = remembered.Result.Version, Actor = request.Actor, At = now }
                : throw new EntityValidationException("RequestId", $"'{request.RequestId}' was already used for a different write to '{key}'");
        }

        if (request.ExpectedVersion is { } expected && expected != state.Version)
        {
            return Conflict(key, expected, state, request.Actor, now);
        }

        var current = state.State is null ? null : CanonicalJson.ParseObject(state.State, "State");
        var next = request.Patch is not null
            ? MergePatch.Apply(current ?? [], asked) as JsonObject
                ?? throw new EntityValidationException("Patch", "must leave the state a JSON object (a non-object patch replaces the whole state)")
            : asked as JsonObject ?? throw new EntityValidationException("State", "must be a JSON object");

        var errors = kind.Schema.Validate(next);
        if (errors.Count > 0)
        {
            return new EntityChangeDecision
            {
                Outcome = EntityChangeOutcome.SchemaRejected,
                Error = new EntitySchemaException(kindName, kind.Version, errors),
                Version = state.Version,
                Actor = request.Actor,
                At = now,
            };
        }

        var changes = StateDiff.TopLevel(current, next);
        if (current is not null && changes.Count == 0)
        {
            var unchanged = new MutateResult { Version = state.Version, State = state.State! };
            var answer = Remembered(request, fingerprint, unchanged, now);
            return new EntityChangeDecision
            {
                Outcome = EntityChangeOutcome.NoOp,
                Mutation = unchanged,
                Version = state.Version,
                Remember = answer,
                Record = new EntityRecord { Key = key, Version = state.Version, Request = answer },
                Actor = request.Actor,
                At = now,
            };
        }

        var version = state.Version + 1;
        var changeId = Guid.CreateVersion7(now).ToString();
        var masking = kind.Masking(runSecrets);
        var facts = new ChangeFacts(kindName, id, current, next, changes, version, changeId, request.Actor, now);
        var result = new MutateResult
        {
            Version = version,
            State = next.ToJsonString(),
            // A List, not a collection expression: the JSON grain storage serializer cannot rebuild the compiler's read-only list type.
            ChangedFields = changes.Select(c => c.Field).ToList(),
            ChangeId = changeId,
            Created = current is null,
        };
        FieldTransition[] transitions = [.. changes.Select(c => Transition(c, masking, now, request.Actor, version))];
        var remember = Remembered(request, fingerprint, result, now);
        return new EntityChangeDecision
        {
            Outcome = EntityChangeOutcome.Applied,
            Mutation = result,
            Version = version,
            NextState = result.State,
            Transitions = transitions,
            Events = [ChangedEvent(facts, masking), .. Derivers.Derive(facts, kind.Definition.Derivers, masking)],
            Remember = remember,
            Record = new EntityRecord { Key = key, Version = version, ChangeId = changeId, PreviousChangeId = PreviousChangeId(state), Transitions = transitions, Request = remember },
            Actor = request.Actor,
            At = now,
        };
    }

    /// <summary>
    /// Decides the removal of entity <paramref name="key"/>: a tombstone with the next version, publishing
    /// <c>entity.changed</c> with <c>next = null</c>, an empty delta and no changed fields, and <c>&lt;kind&gt;.deleted</c>.
    /// Field history is kept and gets no transitions (the tombstone is the record).
    /// </summary>
    public static EntityChangeDecision Remove(string key, EntityState state, string actor, long? expectedVersion, KindContext? kind, DateTimeOffset now)
    {
        var (kindName, id) = EntityKey.Parse(key);
        ArgumentNullException.ThrowIfNull(state);
        ValidateActor(actor);
        if (expectedVersion is { } expected && expected != state.Version)
        {
            return Conflict(key, expected, state, actor, now);
        }

        switch (state.Status)
        {
            case EntityStatus.NotFound:
                return new EntityChangeDecision { Outcome = EntityChangeOutcome.NotFound, Removal = new RemoveResult { Outcome = RemoveOutcome.NotFound, Version = state.Version }, Version = state.Version, Actor = actor, At = now };
            case EntityStatus.Tombstoned:
                return new EntityChangeDecision { Outcome = EntityChangeOutcome.AlreadyRemoved, Removal = new RemoveResult { Outcome = RemoveOutcome.AlreadyRemoved, Version = state.Version }, Version = state.Version, Actor = actor, At = now };
        }

        if (kind is null)
        {
            throw new EntityKindNotDefinedException(kindName);
        }

        var version = state.Version + 1;
        var changeId = Guid.CreateVersion7(now).ToString();
        var masking = kind.Masking(null);
        var facts = new ChangeFacts(kindName, id, CanonicalJson.ParseObject(state.State, "State"), null, [], version, changeId, actor, now);
        return new EntityChangeDecision
        {
            Outcome = EntityChangeOutcome.Removed,
            Removal = new RemoveResult { Outcome = RemoveOutcome.Removed, Version = version, ChangeId = changeId },
            Version = version,
            Record = new EntityRecord { Key = key, Version = version, ChangeId = changeId, PreviousChangeId = PreviousChangeId(state) },
            Events = [ChangedEvent(facts, masking), .. Derivers.Derive(facts, kind.Definition.Derivers, masking)],
            Actor = actor,
            At = now,
        };
    }

    /// <summary>
    /// Applies <paramref name="decision"/> to <paramref name="state"/>: version and change id, live state or
    /// tombstone, each changed field's latest transition, and the events appended to the outbox on namespace
    /// <see cref="EventNamespaces.Entities"/>, subject <paramref name="key"/>. Refusals, repeats and no-ops change
    /// nothing (the history and the answer are the history store's, see <see cref="EntityChangeDecision.Record"/>).
    /// Returns <see cref="EntityChangeDecision.RequiresWrite"/>.
    /// </summary>
    public static bool Commit(string key, EntityState state, EntityChangeDecision decision)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(decision);
        switch (decision.Outcome)
        {
            case EntityChangeOutcome.Applied:
                state.Version = decision.Version;
                state.ChangeId = decision.Record?.ChangeId;
                state.State = decision.NextState;
                state.Tombstoned = false;
                state.ChangedAt = decision.At;
                EntityHistory.SetLatest(state.Latest, decision.Transitions);
                break;
            case EntityChangeOutcome.Removed:
                state.Version = decision.Version;
                state.ChangeId = decision.Record?.ChangeId;
                state.State = null;
                state.Tombstoned = true;
                state.ChangedAt = decision.At;
                break;
        }

        if (decision.Outcome is EntityChangeOutcome.Applied or EntityChangeOutcome.Removed)
        {
            foreach (var planned in decision.Events)
            {
                state.Outbox.Append(EventNamespaces.Entities, planned.Type, key, decision.Actor, planned.Payload, decision.At);
            }
        }

        return decision.RequiresWrite;
    }

    /// <summary>What <see cref="IEntityGrain.Get"/> answers: real values.</summary>
    public static EntitySnapshot Get(string key, EntityState state)
    {
        var (kind, id) = EntityKey.Parse(key);
        return new EntitySnapshot
        {
            Kind = kind,
            Id = id,
            Status = state.Status,
            Version = state.Version,
            State = state.State,
            ChangedAt = state.ChangedAt,
        };
    }

    /// <summary>The <c>entity.changed</c> event of a change (see <see cref="EntityEventTypes"/> for the payload).</summary>
    public static PlannedEvent ChangedEvent(ChangeFacts facts, Masking masking)
    {
        var delta = new JsonObject();
        foreach (var change in facts.Changes)
        {
            var entry = new JsonObject();
            if (change.HadFrom)
            {
                entry["from"] = masking.Field(change.Field, change.From);
            }

            if (change.HasTo)
            {
                entry["to"] = masking.Field(change.Field, change.To);
            }

            delta[change.Field] = entry;
        }

        var payload = new JsonObject
        {
            ["kind"] = facts.Kind,
            ["id"] = facts.Id,
            ["prev"] = masking.State(facts.Prev),
            ["next"] = masking.State(facts.Next),
            ["delta"] = delta,
            ["changed_fields"] = new JsonArray([.. facts.Changes.Select(c => (JsonNode?)c.Field)]),
            ["actor"] = facts.Actor,
            ["occurred_at"] = facts.OccurredAt,
            ["change_id"] = facts.ChangeId,
            ["version"] = facts.Version,
        };
        return new PlannedEvent(EntityEventTypes.Changed, payload.ToJsonString());
    }

    private static FieldTransition Transition(FieldChange change, Masking masking, DateTimeOffset now, string actor, long version) => new()
    {
        Field = change.Field,
        From = change.HadFrom ? CanonicalJson.Write(masking.Field(change.Field, change.From)) : null,
        To = change.HasTo ? CanonicalJson.Write(masking.Field(change.Field, change.To)) : null,
        At = now,
        Actor = actor,
        Version = version,
    };

    private static EntityChangeDecision Conflict(string key, long expected, EntityState state, string actor, DateTimeOffset now) => new()
    {
        Outcome = EntityChangeOutcome.VersionConflict,
        Error = new EntityVersionConflictException(key, expected, state.Version),
        Version = state.Version,
        Actor = actor,
        At = now,
    };

    // Rows of the previous version from any other change are leftovers of a write whose state write failed.
    private static string? PreviousChangeId(EntityState state) => state.Version > 0 ? state.ChangeId : null;

    private static RememberedMutation Remembered(MutateRequest request, string fingerprint, MutateResult result, DateTimeOffset now) =>
        new() { RequestId = request.RequestId, Fingerprint = fingerprint, Result = result, At = now };

    private static void ValidateRequest(MutateRequest request)
    {
        ValidateActor(request.Actor);
        if (string.IsNullOrWhiteSpace(request.RequestId) || request.RequestId.Length > EntityLimits.MaxRequestIdLength)
        {
            throw new EntityValidationException("RequestId", $"must be 1–{EntityLimits.MaxRequestIdLength} characters and not blank");
        }

        if ((request.Patch is null) == (request.State is null))
        {
            throw new EntityValidationException(request.Patch is null ? "Patch" : "State", "exactly one of Patch (a merge patch) and State (a full replacement) must be given");
        }

        if (request.ExpectedVersion is < 0)
        {
            throw new EntityValidationException("ExpectedVersion", "must not be negative (0 means the entity was never written)");
        }
    }

    private static void ValidateActor(string? actor)
    {
        if (string.IsNullOrWhiteSpace(actor) || actor.Length > EntityLimits.MaxActorLength)
        {
            throw new EntityValidationException("Actor", $"must be 1–{EntityLimits.MaxActorLength} characters and not blank");
        }
    }

    // What was asked, canonically: the same write spelled differently is the same request.
    private static string Fingerprint(MutateRequest request, JsonNode? asked)
    {
        var body = (request.Patch is not null ? "patch:" : "state:") + CanonicalJson.Text(asked);
        var text = $"{body}\n{request.ExpectedVersion}\n{request.Actor}\n{request.RunId}";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
