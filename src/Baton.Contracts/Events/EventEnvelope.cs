namespace Baton.Contracts;

/// <summary>
/// One Baton event as it travels on a stream, is kept in a grain's outbox and is served to
/// clients. Delivery is at-least-once: consumers drop repeats by <see cref="EventId"/> and check
/// order per subject with <see cref="Sequence"/>.
/// </summary>
/// <param name="EventId">
/// A GUID (version 7, canonical "D" form) fixed when the event is appended to its grain's outbox
/// and stored with it, so every redelivery carries the same id. It is not derived from
/// <c>{subject}:{sequence}</c> because subjects repeat across namespaces (a lock and an entity may
/// share a key) and a consumer of several streams must still be able to de-duplicate by id alone.
/// </param>
/// <param name="Type">What happened, dot-separated and lower case: <c>lock.acquired</c>, <c>entity.changed</c>.</param>
/// <param name="Subject">The key of the grain the event is about; also the stream key.</param>
/// <param name="Sequence">Per subject, starts at 1 and only grows; gaps are allowed, repeats and regressions are not.</param>
/// <param name="OccurredAt">When the change that caused the event was made, from the grain's <see cref="TimeProvider"/>.</param>
/// <param name="Actor">Who caused the change (a principal name), or null when no caller did (expiry, sweeps).</param>
/// <param name="Payload">
/// The event's data as a UTF-8 JSON text (an object, usually): language-neutral over HTTP and
/// opaque to Orleans' serializer. <see cref="EventPayload"/> writes and reads it.
/// </param>
[GenerateSerializer, Immutable, Alias("baton.events.envelope")]
public sealed record EventEnvelope(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] string Subject,
    [property: Id(3)] long Sequence,
    [property: Id(4)] DateTimeOffset OccurredAt,
    [property: Id(5)] string? Actor,
    [property: Id(6)] string Payload);
