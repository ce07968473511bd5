namespace Baton.Grains.Feed;

/// <summary>
/// Dev mode's way into the event log. In Postgres mode the stream queue is the event log, so a publish is
/// logged by the stream provider itself; memory streams keep nothing, so in dev mode this service is registered
/// and an outbox logs its events here before it publishes them. A host without it (Postgres mode) logs nothing
/// twice.
/// </summary>
public sealed class PublishedEventLog(IEventLog log)
{
    /// <summary>Logs events about to be published on <paramref name="streamNamespace"/>; an event id already logged is skipped.</summary>
    public Task AppendAsync(string streamNamespace, IReadOnlyList<Contracts.EventEnvelope> events) =>
        log.AppendAsync([.. events.Select(e => new LogAppend(streamNamespace, e))]);
}
