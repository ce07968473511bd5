using System.Collections.Concurrent;
using Baton.Contracts;
using Baton.Grains.Events;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Tests.Grains;

/// <summary>Publishes numbered batches of events about its key through an outbox; a batch number it has seen is not published again.</summary>
public interface IStreamPublisherGrain : IGrainWithStringKey
{
    /// <summary>Appends <paramref name="events"/> events as batch <paramref name="batch"/> (once) and publishes them. Returns the last sequence.</summary>
    Task<long> Publish(int batch, int events);

    Task<long> LastSequence();

    /// <summary>The silo this activation runs on.</summary>
    Task<string> Silo();
}

[GenerateSerializer]
public sealed class StreamPublisherState : IEventOutboxState
{
    [Id(0)] public int LastBatch { get; set; }

    [Id(1)] public EventOutbox Outbox { get; set; } = new();
}

public sealed class StreamPublisherGrain(
    [PersistentState("stream-publisher", "baton")] IPersistentState<StreamPublisherState> state,
    IGrainContext context,
    TimeProvider time) : Grain, IStreamPublisherGrain, IRemindable
{
    public const string Namespace = "stream-load";

    private readonly EventOutboxPublisher<StreamPublisherState> _events = new(context, state);

    public async Task<long> Publish(int batch, int events)
    {
        var subject = this.GetPrimaryKeyString();
        if (batch <= state.State.LastBatch)
        {
            // A retry of a call that already wrote its events: the outbox publishes them, not this call.
            await _events.PublishPendingAsync();
            return state.State.Outbox.LastSequence(subject);
        }

        state.State.LastBatch = batch;
        for (var i = 0; i < events; i++)
        {
            state.State.Outbox.Append(Namespace, "load.published", subject, "tests", EventPayload.From(new { batch, part = i }), time.GetUtcNow());
        }

        await _events.WriteAndPublishAsync();
        return state.State.Outbox.LastSequence(subject);
    }

    public Task<long> LastSequence() => Task.FromResult(state.State.Outbox.LastSequence(this.GetPrimaryKeyString()));

    public Task<string> Silo() => Task.FromResult(this.RuntimeIdentity);

    public Task ReceiveReminder(string reminderName, TickStatus status) => _events.ReceiveReminderAsync(reminderName);
}

/// <summary>An implicit-subscription consumer of <see cref="StreamPublisherGrain.Namespace"/>: writes down every event it is handed.</summary>
public interface IStreamSinkGrain : IGrainWithStringKey
{
}

[ImplicitStreamSubscription(StreamPublisherGrain.Namespace)]
public sealed class StreamSinkGrain : Grain, IStreamSinkGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(StreamPublisherGrain.Namespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) =>
        {
            DeliveryLog.Record(envelope);
            return Task.CompletedTask;
        });
    }
}

/// <summary>
/// An implicit-subscription consumer of <see cref="Namespace"/> that fails every delivery of an
/// event whose payload is <see cref="PoisonPayload"/>, and writes down every other event.
/// </summary>
public interface IPoisonedSinkGrain : IGrainWithStringKey
{
}

[ImplicitStreamSubscription(Namespace)]
public sealed class PoisonedSinkGrain : Grain, IPoisonedSinkGrain
{
    public const string Namespace = "stream-poison";

    public const string PoisonPayload = """{"poison":true}""";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(Namespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) =>
        {
            if (envelope.Payload == PoisonPayload)
            {
                DeliveryLog.RecordRefusal(envelope);
                throw new InvalidOperationException($"Event {envelope.EventId} is poison.");
            }

            DeliveryLog.Record(envelope);
            return Task.CompletedTask;
        });
    }
}

/// <summary>
/// What the test consumers were handed, per subject, for the whole test process (TestingHost
/// silos run in it, so a killed silo's deliveries stay counted). Subjects carry a per-test prefix.
/// </summary>
public static class DeliveryLog
{
    private static readonly ConcurrentDictionary<string, SubjectDeliveries> Subjects = new();

    public static void Record(EventEnvelope envelope) => For(envelope.Subject).Record(envelope);

    public static void RecordRefusal(EventEnvelope envelope) => For(envelope.Subject).RecordRefusal();

    public static SubjectDeliveries For(string subject) => Subjects.GetOrAdd(subject, _ => new SubjectDeliveries());
}

/// <summary>One subject's deliveries, de-duplicated by event id and checked for order by sequence.</summary>
public sealed class SubjectDeliveries
{
    private readonly Lock _lock = new();
    private readonly EventDeduplicator _seen = new(capacity: 4096);
    private readonly SequenceWatermarks _watermarks = new();
    private readonly List<long> _accepted = [];
    private int _received;
    private int _duplicates;
    private int _outOfOrder;
    private int _refusals;

    public void Record(EventEnvelope envelope)
    {
        lock (_lock)
        {
            _received++;
            if (!_seen.FirstSeen(envelope))
            {
                _duplicates++;
                return;
            }

            if (!_watermarks.Advance(envelope))
            {
                _outOfOrder++;
            }

            _accepted.Add(envelope.Sequence);
        }
    }

    public void RecordRefusal()
    {
        lock (_lock)
        {
            _refusals++;
        }
    }

    public DeliverySummary Summary()
    {
        lock (_lock)
        {
            return new DeliverySummary([.. _accepted], _received, _duplicates, _outOfOrder, _refusals);
        }
    }
}

/// <param name="Accepted">Sequences of the first delivery of each event, in arrival order.</param>
/// <param name="Refusals">Deliveries the consumer failed on purpose.</param>
public sealed record DeliverySummary(IReadOnlyList<long> Accepted, int Received, int Duplicates, int OutOfOrder, int Refusals);
