using Orleans.Runtime;

namespace Baton.Hosting;

/// <summary>
/// Whether this silo serves grain calls: true from the moment its lifecycle reaches
/// <see cref="ServiceLifecycleStage.Active"/> until shutdown starts. Health checks read it.
/// </summary>
public sealed class SiloServingState : ILifecycleParticipant<ISiloLifecycle>
{
    private volatile bool _serving;
    private volatile bool _stopping;

    public bool IsServing => _serving && !_stopping;

    public string Phase => _stopping ? "stopping" : _serving ? "serving" : "starting";

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(
            nameof(SiloServingState),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _serving = true;
                return Task.CompletedTask;
            },
            _ =>
            {
                _stopping = true;
                return Task.CompletedTask;
            });
    }

    /// <summary>Marks the silo as leaving before Orleans itself begins to stop (host shutdown started).</summary>
    public void MarkStopping() => _stopping = true;
}
