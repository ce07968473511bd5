namespace Baton.Contracts.Entities;

/// <summary>
/// A write to an entity: exactly one of <see cref="Patch"/> (a JSON merge patch, RFC 7386) or
/// <see cref="State"/> (the whole new state). Both are JSON text and the resulting state must be a
/// JSON object that matches the kind's schema.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.entities.mutate_request")]
public sealed record MutateRequest
{
    /// <summary>A JSON merge patch applied to the current state (to <c>{}</c> when the entity does not exist).</summary>
    [Id(0)] public string? Patch { get; init; }

    /// <summary>The full new state, replacing the current one.</summary>
    [Id(1)] public string? State { get; init; }

    /// <summary>When set, the write happens only if the entity is at this version (0: never written); otherwise <see cref="EntityVersionConflictException"/>.</summary>
    [Id(2)] public long? ExpectedVersion { get; init; }

    /// <summary>Who writes (a principal name); recorded in history and events.</summary>
    [Id(3)] public string Actor { get; init; } = "";

    /// <summary>The run this write is made under; values equal to that run's registered secrets are masked.</summary>
    [Id(4)] public string? RunId { get; init; }

    /// <summary>Retrying with the same request id returns the first answer instead of writing again.</summary>
    [Id(5)] public string RequestId { get; init; } = "";
}

/// <summary>The answer to a <see cref="MutateRequest"/>.</summary>
[GenerateSerializer, Immutable, Alias("baton.entities.mutate_result")]
public sealed record MutateResult
{
    /// <summary>The entity's version after the write (unchanged by a no-op).</summary>
    [Id(0)] public long Version { get; init; }

    /// <summary>The entity's state after the write, as JSON text, with real (unmasked) values.</summary>
    [Id(1)] public string State { get; init; } = "{}";

    /// <summary>The top-level fields that changed, in ordinal order; empty for a no-op.</summary>
    [Id(2)] public IReadOnlyList<string> ChangedFields { get; init; } = [];

    /// <summary>The id of the change (also in its <c>entity.changed</c> event); null for a no-op.</summary>
    [Id(3)] public string? ChangeId { get; init; }

    /// <summary>True when the write created the entity (first write, or the first after a removal).</summary>
    [Id(4)] public bool Created { get; init; }

    public bool Changed => ChangedFields.Count > 0;
}
