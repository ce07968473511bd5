using Baton.Contracts.Entities;
using Baton.Grains.Events;

namespace Baton.Grains.Entities;

/// <summary>
/// The whole persisted truth of one entity; <see cref="EntityChange"/> decides every change to it.
/// Plain settable members so both Orleans' serializer and the JSON grain-storage serializer round-trip it.
/// </summary>
[GenerateSerializer, Alias("baton.entities.state")]
public sealed class EntityState : IEventOutboxState
{
    /// <summary>0 until the first write; grows by one per real change and per removal, never reused.</summary>
    [Id(0)] public long Version { get; set; }

    /// <summary>The live state as JSON text (real values); null when never written or removed.</summary>
    [Id(1)] public string? State { get; set; }

    [Id(2)] public bool Tombstoned { get; set; }

    /// <summary>When the current version was written.</summary>
    [Id(3)] public DateTimeOffset? ChangedAt { get; set; }

    /// <summary>Field transitions in version order, masked, under the retention of <see cref="EntityHistoryOptions"/>.</summary>
    [Id(4)] public List<FieldTransition> History { get; set; } = [];

    /// <summary>A bounded memory of answered mutations by request id, so retries get the first answer.</summary>
    [Id(5)] public List<RememberedMutation> Requests { get; set; } = [];

    [Id(6)] public EventOutbox Outbox { get; set; } = new();

    public EntityStatus Status => State is not null ? EntityStatus.Live : Tombstoned ? EntityStatus.Tombstoned : EntityStatus.NotFound;
}

/// <summary>How a mutation was answered, kept so that a retry with the same request id gets the same answer.</summary>
[GenerateSerializer, Immutable, Alias("baton.entities.remembered_mutation")]
public sealed record RememberedMutation
{
    [Id(0)] public string RequestId { get; init; } = "";

    /// <summary>A hash of what was asked, so a request id reused for a different write is refused rather than answered wrongly.</summary>
    [Id(1)] public string Fingerprint { get; init; } = "";

    [Id(2)] public MutateResult Result { get; init; } = new();

    [Id(3)] public DateTimeOffset At { get; init; }
}

/// <summary>Limits of an entity's persisted memory (configuration <c>Baton:Entities</c>).</summary>
public sealed class EntityOptions
{
    public EntityHistoryOptions History { get; set; } = new();

    /// <summary>How many answered request ids an entity remembers for idempotent retries (oldest forgotten first).</summary>
    public int RememberedRequests { get; set; } = 128;

    /// <summary>How long an answered request id is remembered.</summary>
    public TimeSpan RememberRequestsFor { get; set; } = TimeSpan.FromDays(1);
}
