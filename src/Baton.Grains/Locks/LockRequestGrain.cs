using Baton.Contracts.Locks;
using Orleans.Runtime;

namespace Baton.Grains.Locks;

[GenerateSerializer, Alias("baton.locks.request_index_state")]
public sealed class LockRequestIndexState
{
    [Id(0)] public string? Key { get; set; }

    [Id(1)] public string? Owner { get; set; }
}

/// <summary>The request id → lock key index (<see cref="ILockRequestGrain"/>): one small row per registered request.</summary>
public sealed class LockRequestGrain(
    [PersistentState("lock-request", "baton")] IPersistentState<LockRequestIndexState> state) : Grain, ILockRequestGrain
{
    public async Task Register(string key, string owner)
    {
        LockKey.Validate(key);
        LockLimits.CheckText("Owner", owner, LockLimits.MaxOwnerLength);
        if (state.State.Key is { } known)
        {
            if (known == key && state.State.Owner == owner)
            {
                return;
            }

            throw new LockRequestException("RequestId",
                $"'{this.GetPrimaryKeyString()}' already names a request of '{state.State.Owner}' for {known}; use a new request id for a new request");
        }

        state.State.Key = key;
        state.State.Owner = owner;
        await state.WriteStateAsync();
    }

    public Task<string?> GetKey() => Task.FromResult(state.State.Key);

    public async Task Forget()
    {
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }

        state.State = new LockRequestIndexState();
    }
}
