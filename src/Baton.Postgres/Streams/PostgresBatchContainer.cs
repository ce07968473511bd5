using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// One event of a stream queue as its receiver hands it to Orleans' pulling agent: the event read from the log
/// at <see cref="Position"/>, on its stream, with the token of this hand-out.
/// </summary>
[GenerateSerializer, Alias("baton.streams.batch")]
public sealed class PostgresBatchContainer : IBatchContainer
{
    public PostgresBatchContainer(StreamId streamId, EventEnvelope envelope, PostgresStreamSequenceToken token)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(token);
        StreamId = streamId;
        Envelope = envelope;
        Token = token;
    }

    [Id(0)]
    public StreamId StreamId { get; private set; }

    [Id(1)]
    public EventEnvelope Envelope { get; private set; }

    [Id(2)]
    public PostgresStreamSequenceToken Token { get; private set; }

    /// <summary>The event's position in the event log.</summary>
    public long Position => Token.Position;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        if (Envelope is T typed)
        {
            yield return Tuple.Create(typed, (StreamSequenceToken)Token);
        }
    }

    /// <summary>Events carry no request context: the log keeps the event, not the publisher's call context.</summary>
    public bool ImportRequestContext() => false;

    public override string ToString() => $"{Envelope.Type} #{Envelope.Sequence} on {StreamId} {Token}";
}
