using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Storage;

namespace Baton.Grains.Common;

public static class PersistentStateExtensions
{
    /// <summary>
    /// Writes the state, and when the write loses an ETag race does not retry it blindly: the
    /// activation is deactivated (the next call re-reads what won) and the caller gets a
    /// <see cref="StateConflictException"/>.
    /// </summary>
    public static async Task WriteOrConflictAsync<TState>(this IPersistentState<TState> state, IGrainBase grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException ex)
        {
            grain.DeactivateOnIdle();
            throw new StateConflictException(
                $"The state of {grain.GrainContext.GrainId} was changed by another activation; it will be re-read on the next call.", ex);
        }
    }
}
