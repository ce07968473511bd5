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
    public static Task WriteOrConflictAsync<TState>(this IPersistentState<TState> state, IGrainBase grain) =>
        state.WriteOrConflictAsync(grain.GrainContext);

    /// <inheritdoc cref="WriteOrConflictAsync{TState}(IPersistentState{TState}, IGrainBase)"/>
    public static async Task WriteOrConflictAsync<TState>(this IPersistentState<TState> state, IGrainContext grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException ex)
        {
            grain.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "The grain state was changed by another activation."));
            throw new StateConflictException(
                $"The state of {grain.GrainId} was changed by another activation; it will be re-read on the next call.", ex);
        }
    }
}
