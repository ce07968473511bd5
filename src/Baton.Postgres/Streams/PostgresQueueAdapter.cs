using Baton.Contracts;
using Baton.Grains.Feed;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Publishes to Baton's PostgreSQL stream queues: a publish appends its events to the event log, each naming
/// the queue its stream maps to. Concurrent publishes of this process share one insert and commit (the log's
/// group commit); each call returns once its events are committed.
/// </summary>
public sealed class PostgresQueueAdapter(
    string name,
    IEventLog log,
    IStreamQueueMapper mapper,
    Func<QueueId, IQueueAdapterReceiver> createReceiver) : IQueueAdapter
{
    public string Name { get; } = name;

    /// <summary>False: a subscriber cannot ask for events its queue's cursor has passed.</summary>
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException($"Stream provider '{Name}' is not rewindable: publish without a sequence token.", nameof(token));
        }

        var queue = (int)mapper.GetQueueForStream(streamId).GetNumericId();
        var ns = streamId.GetNamespace() ?? "";
        var key = streamId.GetKeyAsString();
        var appends = new List<LogAppend>();
        foreach (var item in events)
        {
            var envelope = item as EventEnvelope
                ?? throw new NotSupportedException($"Stream provider '{Name}' carries {nameof(EventEnvelope)} events only, not {item?.GetType().Name ?? "null"}.");
            appends.Add(new LogAppend(ns, envelope, queue, key == envelope.Subject ? null : key));
        }

        if (appends.Count > 0)
        {
            await log.AppendAsync(appends);
        }
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => createReceiver(queueId);
}
