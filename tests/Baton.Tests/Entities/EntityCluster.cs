using System.Collections.Concurrent;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using Baton.Hosting;
using Baton.Tests.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Baton.Tests.Entities;

/// <summary>
/// One dev-mode silo (memory storage, memory streams "baton") whose entities read time from
/// <see cref="Clock"/> (a FakeTimeProvider under <see cref="EntityServiceKeys.Clock"/>; Orleans keeps the real
/// clock) and whose run secrets come from <see cref="RunSecrets"/>. Shared by the entity grain tests.
/// </summary>
public sealed class EntityCluster : IAsyncLifetime
{
    public static FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public static TestRunSecrets RunSecrets { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>A service of the silo.</summary>
    public T SiloService<T>() where T : notnull =>
        Cluster.Primary is InProcessSiloHandle { SiloHost: { } host }
            ? host.Services.GetRequiredService<T>()
            : throw new InvalidOperationException("The silo does not run in this process.");

    /// <summary>Defines <paramref name="kind"/> and returns its description.</summary>
    public Task<KindDescription> DefineAsync(string kind, string schema = "{}", string[]? secretFields = null, FieldRule[]? derivers = null) =>
        Grains.GetGrain<IEntityKindGrain>(kind).Define(new KindDefinition { Schema = schema, SecretFields = secretFields ?? [], Derivers = derivers ?? [] });

    /// <summary>Waits until the recorder of <paramref name="key"/> holds <paramref name="changed"/> distinct change events.</summary>
    public Task<IReadOnlyList<RecordedEntityEvent>> ChangedEventsAsync(string key, int changed) =>
        Poll.Until(() => Grains.GetGrain<IEntityEventRecorderGrain>(key).Received(), r => r.ChangedOnce().Count >= changed);

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(new BatonOptions());
            silo.Services.AddKeyedSingleton<TimeProvider>(EntityServiceKeys.Clock, Clock);
            silo.Services.AddSingleton<IRunSecrets>(RunSecrets);
        }
    }
}

/// <summary>Run secrets the tests register by run id.</summary>
public sealed class TestRunSecrets : IRunSecrets
{
    private readonly ConcurrentDictionary<string, string[]> _byRun = new();

    public void Register(string runId, params string[] secrets) => _byRun[runId] = secrets;

    public ValueTask<IReadOnlyCollection<string>> GetAsync(string runId) =>
        ValueTask.FromResult<IReadOnlyCollection<string>>(_byRun.TryGetValue(runId, out var secrets) ? secrets : []);
}

[CollectionDefinition(Name)]
public sealed class EntityClusterCollection : ICollectionFixture<EntityCluster>
{
    public const string Name = "entity-cluster";
}
