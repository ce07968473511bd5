using Baton.Contracts;
using Baton.Grains.Events;
using Orleans.Runtime;

namespace Baton.Tests.Feed;

/// <summary>
/// A grain that emits events in Baton's real namespaces through an outbox, as capability grains
/// do: <c>lock.*</c> types on the <c>locks</c> streams, every other type on <c>entities</c>.
/// </summary>
public interface IFeedProbeGrain : IGrainWithStringKey
{
    /// <summary>Appends <paramref name="count"/> events of <paramref name="type"/> in one write, publishes them, and returns them.</summary>
    Task<IReadOnlyList<EventEnvelope>> Emit(string type, int count);
}

[GenerateSerializer]
public sealed class FeedProbeState : IEventOutboxState
{
    [Id(0)] public EventOutbox Outbox { get; set; } = new();
}

public sealed class FeedProbeGrain(
    [PersistentState("feed-probe", "baton")] IPersistentState<FeedProbeState> state,
    IGrainContext context,
    TimeProvider time) : Grain, IFeedProbeGrain, IRemindable
{
    private readonly EventOutboxPublisher<FeedProbeState> _events = new(context, state);

    public async Task<IReadOnlyList<EventEnvelope>> Emit(string type, int count)
    {
        var subject = this.GetPrimaryKeyString();
        var ns = type.StartsWith("lock.", StringComparison.Ordinal) ? EventNamespaces.Locks : EventNamespaces.Entities;
        var emitted = new List<EventEnvelope>(count);
        for (var i = 0; i < count; i++)
        {
            emitted.Add(state.State.Outbox.Append(ns, type, subject, "feed-tests", EventPayload.From(new { part = i, note = "a_b" }), time.GetUtcNow()));
        }

        await _events.WriteAndPublishAsync();
        return emitted;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => _events.ReceiveReminderAsync(reminderName);
}
