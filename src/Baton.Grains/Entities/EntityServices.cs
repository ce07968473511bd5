using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Grains.Entities;

/// <summary>Dependency-injection keys of the entity grains.</summary>
public static class EntityServiceKeys
{
    /// <summary>
    /// The keyed <see cref="TimeProvider"/> entities and kinds read time from. It resolves to the silo's
    /// TimeProvider; tests register a FakeTimeProvider under this key to move entity time without moving
    /// the clocks Orleans itself runs on.
    /// </summary>
    public const string Clock = "baton.entities.clock";
}

/// <summary>
/// The secrets registered for a run, which entity writes made under that run mask wherever they appear
/// in history, events and logs. The runs capability provides the real source; until then a silo has
/// <see cref="NoRunSecrets"/>.
/// </summary>
public interface IRunSecrets
{
    ValueTask<IReadOnlyCollection<string>> GetAsync(string runId);
}

/// <summary>No run has registered secrets.</summary>
public sealed class NoRunSecrets : IRunSecrets
{
    public ValueTask<IReadOnlyCollection<string>> GetAsync(string runId) => ValueTask.FromResult<IReadOnlyCollection<string>>([]);
}

public static class EntityServiceCollectionExtensions
{
    /// <summary>
    /// What the entity grains need in a silo: the shared schema cache, <see cref="EntityOptions"/> (configuration
    /// <c>Baton:Entities</c>, e.g. <c>Baton__Entities__History__MaxTransitions</c>), the entity clock, the run
    /// secrets source and the history store (in memory; Postgres mode replaces it with the PostgreSQL store).
    /// Registrations made before this call win.
    /// </summary>
    public static IServiceCollection AddBatonEntities(this IServiceCollection services)
    {
        services.TryAddSingleton<KindSchemaCache>();
        services.TryAddSingleton<IEntityHistoryStore, InMemoryEntityHistoryStore>();
        services.AddOptions<EntityOptions>().BindConfiguration("Baton:Entities");
        services.TryAddKeyedSingleton<TimeProvider>(EntityServiceKeys.Clock, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.TryAddSingleton<IRunSecrets, NoRunSecrets>();
        return services;
    }
}
