using Baton.Contracts;
using Baton.Grains.Common;
using Baton.Grains.Events;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Tests.Grains;

/// <summary>
/// A consumer of the probe's events, one per subject through an implicit subscription. It keeps
/// everything it received and what survived de-duplication, in persisted state.
/// </summary>
public interface IEventRecorderGrain : IGrainWithStringKey
{
    Task<RecordedEvents> Recorded();
}

[GenerateSerializer, Immutable, Alias("baton.tests.recorded_events")]
public sealed record RecordedEvents(
    [property: Id(0)] IReadOnlyList<string> ReceivedIds,
    [property: Id(1)] IReadOnlyList<long> AcceptedSequences,
    [property: Id(2)] int Duplicates,
    [property: Id(3)] int OutOfOrder);

[GenerateSerializer]
public sealed class EventRecorderState
{
    [Id(0)] public List<string> ReceivedIds { get; set; } = [];

    [Id(1)] public List<long> AcceptedSequences { get; set; } = [];

    [Id(2)] public int Duplicates { get; set; }

    [Id(3)] public int OutOfOrder { get; set; }

    [Id(4)] public EventDeduplicator Seen { get; set; } = new(capacity: 64);

    [Id(5)] public SequenceWatermarks Watermarks { get; set; } = new();
}

[ImplicitStreamSubscription(OutboxProbeGrain.Namespace)]
public sealed class EventRecorderGrain(
    [PersistentState("event-recorder", "baton")] IPersistentState<EventRecorderState> state) : Grain, IEventRecorderGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(OutboxProbeGrain.Namespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) => Receive(envelope));
    }

    public Task<RecordedEvents> Recorded() => Task.FromResult(new RecordedEvents(
        [.. state.State.ReceivedIds], [.. state.State.AcceptedSequences], state.State.Duplicates, state.State.OutOfOrder));

    private async Task Receive(EventEnvelope envelope)
    {
        var s = state.State;
        s.ReceivedIds.Add(envelope.EventId);
        if (!s.Seen.FirstSeen(envelope))
        {
            s.Duplicates++;
        }
        else
        {
            if (!s.Watermarks.Advance(envelope))
            {
                s.OutOfOrder++;
            }

            s.AcceptedSequences.Add(envelope.Sequence);
        }

        await state.WriteOrConflictAsync(this);
    }
}
