using Baton.Contracts;
using Baton.Grains.Events;
using Orleans.Serialization;
using Orleans.Storage;

namespace Baton.Tests.Events;

/// <summary>
/// Envelopes, outboxes and de-duplicators survive the silo's own serializers: Orleans' wire
/// serializer and the grain storage serializer that persists grain state.
/// </summary>
[Collection(EventsClusterCollection.Name)]
public sealed class EventSerializationTests(EventsCluster cluster)
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.FromHours(2));

    [Fact]
    public void An_envelope_round_trips_unchanged_on_the_wire()
    {
        var envelope = new EventOutbox().Append("locks", "lock.acquired", "orders", "ann", """{"holder":"ann"}""", Now);
        var serializer = cluster.SiloService<Serializer>();

        var copy = serializer.Deserialize<EventEnvelope>(serializer.SerializeToArray(envelope));

        Assert.Equal(envelope, copy);
    }

    [Fact]
    public void An_outbox_in_storage_keeps_its_pending_events_ids_and_sequences()
    {
        var outbox = new EventOutbox();
        var first = outbox.Append("locks", "lock.acquired", "a", "ann", "{}", Now);
        var second = outbox.Append("runs", "run.started", "a", null, """{"attempt":2}""", Now);
        outbox.Append("locks", "lock.acquired", "b", "bob", "{}", Now);
        outbox.RemovePublished(1);

        var stored = RoundTrip(outbox);

        Assert.Equal(outbox.Pending, stored.Pending);
        Assert.Equal(second, stored.Pending[0].Envelope);
        Assert.DoesNotContain(stored.Pending, e => e.Envelope.EventId == first.EventId);
        Assert.Equal(3, stored.Append("locks", "lock.released", "a", "ann", "{}", Now).Sequence);
        Assert.Equal(2, stored.Append("locks", "lock.released", "b", "bob", "{}", Now).Sequence);
    }

    [Fact]
    public void A_deduplicator_in_storage_remembers_the_same_ids_and_forgets_in_the_same_order()
    {
        var seen = new EventDeduplicator(capacity: 3);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            seen.FirstSeen(id);
        }

        var stored = RoundTrip(seen);

        Assert.Equal(3, stored.Capacity);
        Assert.False(stored.FirstSeen("b"));
        Assert.False(stored.FirstSeen("d"));
        Assert.True(stored.FirstSeen("e"));   // evicts "b", the oldest
        Assert.True(stored.FirstSeen("b"));
        Assert.False(stored.FirstSeen("d"));
    }

    [Fact]
    public void Watermarks_in_storage_keep_every_subject()
    {
        var marks = new SequenceWatermarks();
        marks.Advance("a", 4);
        marks.Advance("b", 9);

        var stored = RoundTrip(marks);

        Assert.Equal(4, stored.LastSeen("a"));
        Assert.Equal(9, stored.LastSeen("b"));
        Assert.False(stored.Advance("b", 9));
    }

    private T RoundTrip<T>(T value)
    {
        var storage = cluster.SiloService<IGrainStorageSerializer>();
        return storage.Deserialize<T>(storage.Serialize(value))!;
    }
}
