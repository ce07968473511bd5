using Baton.Contracts;
using Baton.Grains.Events;

namespace Baton.Tests.Events;

/// <summary>Appending to an outbox: per-subject sequences, stable ids, the envelope's fields, bad input.</summary>
public sealed class EventOutboxTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Sequences_start_at_one_and_grow_per_subject()
    {
        var outbox = new EventOutbox();

        var a1 = outbox.Append("locks", "lock.acquired", "a", "ann", "{}", Now);
        var b1 = outbox.Append("locks", "lock.acquired", "b", "bob", "{}", Now);
        var a2 = outbox.Append("locks", "lock.released", "a", "ann", "{}", Now);
        var a3 = outbox.Append("entities", "entity.changed", "a", null, "{}", Now);

        Assert.Equal([1L, 2L, 3L], [a1.Sequence, a2.Sequence, a3.Sequence]);
        Assert.Equal(1, b1.Sequence);
        Assert.Equal(3, outbox.LastSequence("a"));
        Assert.Equal(0, outbox.LastSequence("never"));
    }

    [Fact]
    public void Pending_events_keep_the_order_they_were_appended_in_with_their_namespace()
    {
        var outbox = new EventOutbox();
        var first = outbox.Append("locks", "lock.acquired", "a", "ann", "{}", Now);
        var second = outbox.Append("runs", "run.started", "a", "ann", "{}", Now);

        Assert.Equal([new OutboxEntry("locks", first), new OutboxEntry("runs", second)], outbox.Pending);
        Assert.True(outbox.HasPending);
    }

    [Fact]
    public void Sequences_keep_growing_after_published_events_are_dropped()
    {
        var outbox = new EventOutbox();
        outbox.Append("locks", "lock.acquired", "a", "ann", "{}", Now);
        outbox.Append("locks", "lock.released", "a", "ann", "{}", Now);

        outbox.RemovePublished(2);
        var next = outbox.Append("locks", "lock.acquired", "a", "ann", "{}", Now);

        Assert.Single(outbox.Pending);
        Assert.Equal(3, next.Sequence);
    }

    [Fact]
    public void Each_event_gets_its_own_id_even_at_the_same_instant()
    {
        var outbox = new EventOutbox();
        var ids = Enumerable.Range(0, 500).Select(_ => outbox.Append("locks", "lock.acquired", "a", null, "{}", Now).EventId).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(Guid.TryParse(id, out var guid) && guid.Version == 7, id));
    }

    [Fact]
    public void The_envelope_carries_what_the_grain_said_and_the_time_it_was_given()
    {
        var outbox = new EventOutbox();
        var payload = EventPayload.From(new { holder = "ann", fencingToken = 7 });

        var envelope = outbox.Append("locks", "lock.acquired", "orders", "ann", payload, Now);

        Assert.Equal("lock.acquired", envelope.Type);
        Assert.Equal("orders", envelope.Subject);
        Assert.Equal("ann", envelope.Actor);
        Assert.Equal(Now, envelope.OccurredAt);
        Assert.Equal("""{"holder":"ann","fencingToken":7}""", envelope.Payload);
        Assert.Equal(7, EventPayload.Read<LockPayload>(envelope)!.FencingToken);
        Assert.Same(envelope, outbox.Pending.Single().Envelope);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"open\":")]
    [InlineData("")]
    public void A_payload_that_is_not_json_is_refused_and_changes_nothing(string payload)
    {
        var outbox = new EventOutbox();

        var error = Assert.Throws<ArgumentException>(() => outbox.Append("locks", "lock.acquired", "a", "ann", payload, Now));

        Assert.Contains("JSON", error.Message);
        Assert.False(outbox.HasPending);
        Assert.Equal(0, outbox.LastSequence("a"));
    }

    [Theory]
    [InlineData("", "lock.acquired", "a")]
    [InlineData("locks", " ", "a")]
    [InlineData("locks", "lock.acquired", "")]
    public void A_missing_namespace_type_or_subject_is_refused(string streamNamespace, string type, string subject)
    {
        var outbox = new EventOutbox();

        Assert.ThrowsAny<ArgumentException>(() => outbox.Append(streamNamespace, type, subject, "ann", "{}", Now));
        Assert.False(outbox.HasPending);
    }

    private sealed record LockPayload(string Holder, long FencingToken);
}
