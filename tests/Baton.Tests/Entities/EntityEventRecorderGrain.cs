using System.Text.Json.Nodes;
using Baton.Contracts;
using Baton.Grains.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Tests.Entities;

/// <summary>
/// A consumer of every entity's events (implicit subscription to namespace <c>entities</c>, one per
/// subject). It keeps everything it received, repeats included, in persisted state, so tests can
/// de-duplicate by event id themselves.
/// </summary>
public interface IEntityEventRecorderGrain : IGrainWithStringKey
{
    Task<IReadOnlyList<RecordedEntityEvent>> Received();
}

[GenerateSerializer, Immutable, Alias("baton.tests.recorded_entity_event")]
public sealed record RecordedEntityEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] long Sequence,
    [property: Id(3)] string Payload)
{
    /// <summary>The entity version the event is about (from its payload).</summary>
    public long Version => JsonNode.Parse(Payload)!["version"]!.GetValue<long>();
}

[GenerateSerializer]
public sealed class EntityEventRecorderState
{
    [Id(0)] public List<RecordedEntityEvent> Received { get; set; } = [];
}

[ImplicitStreamSubscription(EventNamespaces.Entities)]
public sealed class EntityEventRecorderGrain(
    [PersistentState("entity-event-recorder", "baton")] IPersistentState<EntityEventRecorderState> state) : Grain, IEntityEventRecorderGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(EventNamespaces.Entities, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) => Receive(envelope));
    }

    public Task<IReadOnlyList<RecordedEntityEvent>> Received() => Task.FromResult<IReadOnlyList<RecordedEntityEvent>>([.. state.State.Received]);

    private async Task Receive(EventEnvelope envelope)
    {
        state.State.Received.Add(new RecordedEntityEvent(envelope.EventId, envelope.Type, envelope.Sequence, envelope.Payload));
        await state.WriteOrConflictAsync(this);
    }
}

public static class RecordedEntityEvents
{
    /// <summary>The <c>entity.changed</c> events after de-duplication by event id, in arrival order.</summary>
    public static IReadOnlyList<RecordedEntityEvent> ChangedOnce(this IEnumerable<RecordedEntityEvent> events) =>
        [.. events.Where(e => e.Type == Baton.Contracts.Entities.EntityEventTypes.Changed).DistinctBy(e => e.EventId)];
}
