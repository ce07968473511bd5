namespace Baton.Contracts;

/// <summary>
/// The resumable change feed over Baton's event log: every event published on the
/// <see cref="BatonStreams.Provider"/> streams of <see cref="EventNamespaces.All"/>, with a global
/// position. A stateless worker: use key 0.
/// </summary>
public interface IEventFeedGrain : IGrainWithIntegerKey
{
    /// <summary>A page of events after the query's cursor, or <see cref="FeedCursorStatus.Expired"/>.</summary>
    /// <exception cref="ArgumentException">The cursor, a type pattern or the limit is malformed.</exception>
    Task<FeedPage> Read(FeedQuery query);

    /// <summary>The cursor of the newest logged event: watch from here to get only what happens next.</summary>
    Task<string> Head();
}
