using Baton.Contracts;
using Orleans.Runtime;

namespace Baton.Grains.Events;

/// <summary>
/// A seam for tests to inject faults into <see cref="EventOutboxPublisher{TState}"/>. Production
/// silos register none. A hook does nothing unless it throws.
/// </summary>
public interface IOutboxFaults
{
    /// <summary>
    /// After the state holding new events was written, before any is published. Throwing here is
    /// a crash: the caller gets the exception and the activation is abandoned (deactivated
    /// without touching storage again), so the events wait in storage for the next activation.
    /// </summary>
    ValueTask AfterStateWrite(GrainId grain, IReadOnlyList<EventEnvelope> pending);

    /// <summary>
    /// Before one event is handed to its stream. Throwing here is a failed publish: the event and
    /// those behind it stay in the outbox and a reminder retries them.
    /// </summary>
    ValueTask BeforePublish(GrainId grain, EventEnvelope envelope);

    /// <summary>
    /// After events were published, before their removal from the outbox is persisted. Throwing
    /// here is a crash like <see cref="AfterStateWrite"/>: the next activation publishes the same
    /// events again (same ids), which consumers must drop.
    /// </summary>
    ValueTask AfterPublish(GrainId grain, IReadOnlyList<EventEnvelope> published);
}
