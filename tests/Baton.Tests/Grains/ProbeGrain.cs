using Baton.Grains.Common;
using Orleans.Runtime;

namespace Baton.Tests.Grains;

/// <summary>A grain that exists to observe the foundation: persisted state, placement and reminders.</summary>
public interface IProbeGrain : IGrainWithStringKey
{
    Task<int> Increment();

    Task<int> Count();

    Task<string> Silo();

    Task StartTicking(TimeSpan period);

    Task StopTicking();

    Task<IReadOnlyList<string>> TickSilos();
}

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)] public int Count { get; set; }

    [Id(1)] public List<string> TickSilos { get; set; } = [];
}

public sealed class ProbeGrain(
    [PersistentState("probe", "baton")] IPersistentState<ProbeState> state,
    ILocalSiloDetails silo) : Grain, IProbeGrain, IRemindable
{
    private const string Reminder = "probe-tick";

    public async Task<int> Increment()
    {
        state.State.Count++;
        await state.WriteOrConflictAsync(this);
        return state.State.Count;
    }

    public Task<int> Count() => Task.FromResult(state.State.Count);

    public Task<string> Silo() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public Task StartTicking(TimeSpan period) => this.RegisterOrUpdateReminder(Reminder, period, period);

    public async Task StopTicking()
    {
        var reminder = await this.GetReminder(Reminder);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task<IReadOnlyList<string>> TickSilos() => Task.FromResult<IReadOnlyList<string>>(state.State.TickSilos.ToList());

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State.TickSilos.Add(silo.SiloAddress.ToParsableString());
        await state.WriteOrConflictAsync(this);
    }
}
