using Baton.Contracts;
using Baton.Grains.Events;
using Orleans.Runtime;

namespace Baton.Tests.Grains;

/// <summary>A grain that changes its state and emits events about it through an outbox.</summary>
public interface IOutboxProbeGrain : IGrainWithStringKey
{
    /// <summary>Counts one change and appends <paramref name="events"/> events for it, all in one write. Returns the last sequence.</summary>
    Task<long> Change(int events = 1);

    Task<OutboxProbeStatus> Status();

    Task Deactivate();
}

[GenerateSerializer, Immutable, Alias("baton.tests.outbox_probe_status")]
public sealed record OutboxProbeStatus(
    [property: Id(0)] int Changes,
    [property: Id(1)] int Pending,
    [property: Id(2)] long LastSequence,
    [property: Id(3)] bool HasRetryReminder);

[GenerateSerializer]
public sealed class OutboxProbeState : IEventOutboxState
{
    [Id(0)] public int Changes { get; set; }

    [Id(1)] public EventOutbox Outbox { get; set; } = new();
}

public sealed class OutboxProbeGrain(
    [PersistentState("outbox-probe", "baton")] IPersistentState<OutboxProbeState> state,
    IGrainContext context,
    TimeProvider time) : Grain, IOutboxProbeGrain, IRemindable
{
    public const string Namespace = "test-events";

    private readonly EventOutboxPublisher<OutboxProbeState> _events = new(context, state);

    public async Task<long> Change(int events = 1)
    {
        var subject = this.GetPrimaryKeyString();
        state.State.Changes++;
        var last = 0L;
        for (var i = 0; i < events; i++)
        {
            var payload = EventPayload.From(new { changes = state.State.Changes, part = i });
            last = state.State.Outbox.Append(Namespace, "probe.changed", subject, "tests", payload, time.GetUtcNow()).Sequence;
        }

        await _events.WriteAndPublishAsync();
        return last;
    }

    public async Task<OutboxProbeStatus> Status() => new(
        state.State.Changes,
        state.State.Outbox.Pending.Count,
        state.State.Outbox.LastSequence(this.GetPrimaryKeyString()),
        await this.GetReminder(EventOutboxPublisher.ReminderName) is not null);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => _events.ReceiveReminderAsync(reminderName);
}
