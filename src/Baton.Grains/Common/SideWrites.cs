namespace Baton.Grains.Common;

/// <summary>
/// A grain state that can hand its storage rows of another table to write in the same transaction as the state
/// itself (for example an entity's field history). Set <see cref="SideWrite"/> right before a write and clear it
/// after; it is never part of the stored state.
/// </summary>
public interface ICarriesSideWrite
{
    object? SideWrite { get; set; }
}

/// <summary>
/// Registered when the grain storage writes <see cref="ICarriesSideWrite.SideWrite"/> in the state's own transaction
/// (Postgres mode). Without it a grain writes those rows itself, before the state.
/// </summary>
public sealed class GrainStorageSideWrites;
