using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Where an event sits in a pulling agent's cache: <see cref="SequenceNumber"/> is the order in
/// which the agent's receiver handed its batch out (it only grows, also when a row is handed out
/// again, so the cache always sees newer tokens), <see cref="EventIndex"/> the event's place in
/// the batch, and <see cref="RowId"/> the queue row the batch came from.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.streams.sequence_token")]
public sealed class PostgresStreamSequenceToken : StreamSequenceToken
{
    public PostgresStreamSequenceToken(long sequenceNumber, long rowId, int eventIndex = 0)
    {
        SequenceNumber = sequenceNumber;
        RowId = rowId;
        EventIndex = eventIndex;
    }

    [Id(0)]
    public override long SequenceNumber { get; protected set; }

    [Id(1)]
    public override int EventIndex { get; protected set; }

    [Id(2)]
    public long RowId { get; private set; }

    /// <summary>The token of event <paramref name="eventIndex"/> of the same batch.</summary>
    public PostgresStreamSequenceToken At(int eventIndex) => new(SequenceNumber, RowId, eventIndex);

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

    public override string ToString() => $"[{SequenceNumber}:{EventIndex} row {RowId}]";
}
