using Orleans.Runtime;

namespace Baton.Grains.Common;

/// <summary>
/// A grain state that names when its grain must be woken if nobody calls it (for a lock: its next lease expiry or
/// wait deadline). Storage that keeps this time (<see cref="GrainStorageWakes"/>) writes it with the state; a
/// sweeper calls <see cref="IWakeableGrain.Wake"/> on grains whose time has passed, which is what brings them
/// back after the silo hosting them died. Null: the grain needs no wake.
/// </summary>
public interface IHasWakeTime
{
    DateTimeOffset? WakeAt { get; }
}

/// <summary>A grain a wake sweeper may call to make it act on time (an activation that catches up on what is due).</summary>
public interface IWakeableGrain : IGrainWithStringKey
{
    Task Wake();
}

/// <summary>
/// Registered when the grain storage keeps <see cref="IHasWakeTime.WakeAt"/> and a sweeper wakes grains whose time has
/// passed (Postgres mode). Without it a grain that must be woken after a crash keeps a reminder itself.
/// </summary>
public sealed class GrainStorageWakes;

/// <summary>Where a wake sweeper finds the grains whose wake time has passed.</summary>
public interface IDueWakes
{
    /// <summary>Up to <paramref name="limit"/> grains whose wake time is at or before <paramref name="dueBy"/>, earliest first.</summary>
    Task<IReadOnlyList<GrainId>> DueAsync(DateTimeOffset dueBy, int limit, CancellationToken cancellationToken = default);
}
