using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Where an event sits in a pulling agent's cache: <see cref="SequenceNumber"/> is the order in which the agent's
/// receiver handed it out (it only grows, also when an event is handed out again, so the cache always sees newer
/// tokens), and <see cref="Position"/> the event's position in the event log.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.streams.sequence_token")]
public sealed class PostgresStreamSequenceToken : StreamSequenceToken
{
    public PostgresStreamSequenceToken(long sequenceNumber, long position)
    {
        SequenceNumber = sequenceNumber;
        Position = position;
    }

    [Id(0)]
    public override long SequenceNumber { get; protected set; }

    /// <summary>Always 0: a hand-out carries one event.</summary>
    [Id(1)]
    public override int EventIndex { get; protected set; }

    [Id(2)]
    public long Position { get; private set; }

    public override bool Equals(StreamSequenceToken? other) =>
        other is not null && other.SequenceNumber == SequenceNumber && other.EventIndex == EventIndex;

    public override bool Equals(object? obj) => obj is StreamSequenceToken other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(SequenceNumber, EventIndex);

    public override int CompareTo(StreamSequenceToken? other)
    {
        if (other is null)
        {
            return 1;
        }

        var bySequence = SequenceNumber.CompareTo(other.SequenceNumber);
        return bySequence != 0 ? bySequence : EventIndex.CompareTo(other.EventIndex);
    }

    public override string ToString() => $"[{SequenceNumber} position {Position}]";
}
