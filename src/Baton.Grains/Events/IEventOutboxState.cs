namespace Baton.Grains.Events;

/// <summary>A grain state class that carries an <see cref="EventOutbox"/>.</summary>
public interface IEventOutboxState
{
    EventOutbox Outbox { get; }
}
