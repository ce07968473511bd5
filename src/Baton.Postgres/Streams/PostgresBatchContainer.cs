using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// One queue row: the events one publish call wrote to one stream, with the caller's request
/// context. It is stored in the row's payload without a token; the receiver gives it one when
/// it hands the row out.
/// </summary>
[GenerateSerializer, Alias("baton.streams.batch")]
public sealed class PostgresBatchContainer : IBatchContainer
{
    public PostgresBatchContainer(StreamId streamId, List<EventEnvelope> events, Dictionary<string, object>? requestContext)
    {
        ArgumentNullException.ThrowIfNull(events);
        StreamId = streamId;
        Events = events;
        RequestContext = requestContext;
    }

    [Id(0)]
    public StreamId StreamId { get; private set; }

    [Id(1)]
    public List<EventEnvelope> Events { get; private set; }

    [Id(2)]
    public Dictionary<string, object>? RequestContext { get; private set; }

    /// <summary>Set by the receiver when it hands the row out; null while the batch waits in the table.</summary>
    [Id(3)]
    public PostgresStreamSequenceToken? Token { get; set; }

    /// <summary>The queue row this batch was read from.</summary>
    public long RowId => Token?.RowId ?? throw new InvalidOperationException("The batch was not read from the queue yet.");

    public StreamSequenceToken SequenceToken => Token ?? throw new InvalidOperationException("The batch was not read from the queue yet.");

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        var token = Token ?? throw new InvalidOperationException("The batch was not read from the queue yet.");
        for (var i = 0; i < Events.Count; i++)
        {
            if (Events[i] is T typed)
            {
                yield return Tuple.Create(typed, (StreamSequenceToken)token.At(i));
            }
        }
    }

    public bool ImportRequestContext()
    {
        if (RequestContext is null || RequestContext.Count == 0)
        {
            return false;
        }

        RequestContextExtensions.Import(RequestContext);
        return true;
    }

    public override string ToString() => $"{Events.Count} event(s) on {StreamId} {Token}";
}
