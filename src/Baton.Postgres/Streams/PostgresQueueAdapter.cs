using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Writes published events to Baton's PostgreSQL stream queue: one row per publish call, holding
/// all the events of that call for one stream, in the queue the stream maps to. Concurrent
/// publishes of this process share one INSERT and commit (see <see cref="PostgresQueueWriter"/>);
/// each call returns once its row is committed.
/// </summary>
public sealed class PostgresQueueAdapter(
    string name,
    PostgresQueueWriter writer,
    IStreamQueueMapper mapper,
    Serializer<PostgresBatchContainer> serializer,
    Func<QueueId, IQueueAdapterReceiver> createReceiver) : IQueueAdapter
{
    public string Name { get; } = name;

    /// <summary>False: a row is deleted once delivered, so a subscriber cannot ask for older events.</summary>
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException($"Stream provider '{Name}' is not rewindable: publish without a sequence token.", nameof(token));
        }

        var envelopes = new List<EventEnvelope>();
        foreach (var item in events)
        {
            envelopes.Add(item as EventEnvelope
                ?? throw new NotSupportedException($"Stream provider '{Name}' carries {nameof(EventEnvelope)} events only, not {item?.GetType().Name ?? "null"}."));
        }

        if (envelopes.Count == 0)
        {
            return;
        }

        var queue = mapper.GetQueueForStream(streamId);
        var payload = serializer.SerializeToArray(new PostgresBatchContainer(streamId, envelopes, requestContext));
        await writer.EnqueueAsync(new QueueAppend((int)queue.GetNumericId(), streamId.GetNamespace(), streamId.GetKeyAsString(), payload));
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => createReceiver(queueId);
}
