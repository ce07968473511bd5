using Baton.Grains.Events;

namespace Baton.Grains.Locks;

/// <summary>What <see cref="LockGrain"/> persists: the lock and the events its changes caused, written together.</summary>
[GenerateSerializer, Alias("baton.locks.grain_state")]
public sealed class LockGrainState : IEventOutboxState
{
    [Id(0)] public LockState Lock { get; set; } = new();

    [Id(1)] public EventOutbox Outbox { get; set; } = new();
}
