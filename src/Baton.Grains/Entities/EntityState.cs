using Baton.Contracts.Entities;
using Baton.Grains.Events;

namespace Baton.Grains.Entities;

/// <summary>
/// The state blob of one entity, written on every change, so kept small: version, live state, each field's latest
/// transition and the outbox. The field history and the remembered answers, which grow with every write, live in the
/// <see cref="IEntityHistoryStore"/>. <see cref="EntityChange"/> decides every change to it. Plain settable members
/// so both Orleans' serializer and the JSON grain-storage serializer round-trip it.
/// </summary>
[GenerateSerializer, Alias("baton.entities.state")]
public sealed class EntityState : IEventOutboxState, Baton.Grains.Common.ICarriesSideWrite
{
    /// <summary>0 until the first write; grows by one per real change and per removal, never reused.</summary>
    [Id(0)] public long Version { get; set; }

    /// <summary>The live state as JSON text (real values); null when never written or removed.</summary>
    [Id(1)] public string? State { get; set; }

    [Id(2)] public bool Tombstoned { get; set; }

    /// <summary>When the current version was written.</summary>
    [Id(3)] public DateTimeOffset? ChangedAt { get; set; }

    /// <summary>
    /// Legacy: field history as states written before history moved to <see cref="IEntityHistoryStore"/> held it.
    /// The grain moves it to the store on activation and writes it empty from then on.
    /// </summary>
    [Id(4)] public List<FieldTransition> History { get; set; } = [];

    /// <summary>Legacy: remembered answers as states written before they moved to <see cref="IEntityHistoryStore"/> held them (moved like <see cref="History"/>).</summary>
    [Id(5)] public List<RememberedMutation> Requests { get; set; } = [];

    [Id(6)] public EventOutbox Outbox { get; set; } = new();

    /// <summary>
    /// The latest transition of every field that ever changed, masked, one per field in ordinal field order. It answers
    /// <c>InStateSince</c> without reading history, and keeps "each field's latest transition is kept" true whatever
    /// the history store's retention drops. Bounded by the number of distinct top-level fields.
    /// </summary>
    [Id(7)] public List<FieldTransition> Latest { get; set; } = [];

    /// <summary>The change that made <see cref="Version"/>; history rows of this version from any other change are not shown.</summary>
    [Id(8)] public string? ChangeId { get; set; }

    /// <summary>The history record of the write in progress, when storage writes it with the state (never stored itself).</summary>
    [field: NonSerialized]
    [System.Text.Json.Serialization.JsonIgnore]
    public object? SideWrite { get; set; }

    public EntityStatus Status => State is not null ? EntityStatus.Live : Tombstoned ? EntityStatus.Tombstoned : EntityStatus.NotFound;
}

/// <summary>
/// How a mutation was answered, kept (in the <see cref="IEntityHistoryStore"/> and the activation's
/// <see cref="RequestMemory"/>) so that a retry with the same request id gets the same answer, state included.
/// </summary>
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
