namespace Baton.Contracts;

/// <summary>One event read from the feed: where it sits in the log (<paramref name="Cursor"/>), and what it is.</summary>
/// <param name="Cursor">Resume after this event by passing it back as <c>after</c> (or SSE <c>Last-Event-ID</c>).</param>
/// <param name="Namespace">The stream namespace it was published on (<see cref="EventNamespaces"/>).</param>
[GenerateSerializer, Immutable, Alias("baton.feed.event")]
public sealed record FeedEvent(
    [property: Id(0)] string Cursor,
    [property: Id(1)] string Namespace,
    [property: Id(2)] EventEnvelope Envelope);
