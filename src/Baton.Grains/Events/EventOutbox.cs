using Baton.Contracts;

namespace Baton.Grains.Events;

/// <summary>
/// The events a grain has decided to emit but not yet published, kept inside the grain's
/// persisted state so that they are written in the same write as the change that caused them.
/// <see cref="EventOutboxPublisher{TState}"/> publishes and drops them.
/// </summary>
/// <remarks>
/// The public properties are the storage shape (they must round-trip through Orleans' serializer
/// and the JSON grain storage serializer); grains use <see cref="Append"/> and never edit them.
/// </remarks>
[GenerateSerializer, Alias("baton.events.outbox")]
public sealed class EventOutbox
{
    /// <summary>Events not yet published, in the order they were appended.</summary>
    [Id(0)]
    public List<OutboxEntry> Pending { get; set; } = [];

    /// <summary>The last sequence handed out per subject; kept after the events are gone so sequences never repeat.</summary>
    [Id(1)]
    public Dictionary<string, long> Sequences { get; set; } = [];

    public bool HasPending => Pending.Count > 0;

    /// <summary>The last sequence assigned to <paramref name="subject"/>, 0 when none was.</summary>
    public long LastSequence(string subject) => Sequences.TryGetValue(subject, out var sequence) ? sequence : 0;

    /// <summary>
    /// Adds an event for <paramref name="subject"/> on stream namespace <paramref name="streamNamespace"/>
    /// with the next sequence of that subject and a new, stable event id. Nothing is published
    /// until the state holding this outbox is written.
    /// </summary>
    /// <param name="payloadJson">The event data as JSON text (see <see cref="EventPayload.From{T}"/>).</param>
    public EventEnvelope Append(string streamNamespace, string type, string subject, string? actor, string payloadJson, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamNamespace);
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentNullException.ThrowIfNull(payloadJson);
        if (!EventPayload.IsJson(payloadJson))
        {
            throw new ArgumentException($"The payload of a '{type}' event must be JSON text.", nameof(payloadJson));
        }

        var sequence = LastSequence(subject) + 1;
        var envelope = new EventEnvelope(
            EventId: Guid.CreateVersion7(now).ToString(),
            Type: type,
            Subject: subject,
            Sequence: sequence,
            OccurredAt: now,
            Actor: actor,
            Payload: payloadJson);
        Sequences[subject] = sequence;
        Pending.Add(new OutboxEntry(streamNamespace, envelope));
        return envelope;
    }

    /// <summary>Drops the first <paramref name="count"/> pending events, which were published.</summary>
    internal void RemovePublished(int count) => Pending.RemoveRange(0, count);
}

/// <summary>An event waiting in an outbox, with the stream namespace it is to be published on.</summary>
[GenerateSerializer, Immutable, Alias("baton.events.outbox_entry")]
public sealed record OutboxEntry(
    [property: Id(0)] string Namespace,
    [property: Id(1)] EventEnvelope Envelope);
