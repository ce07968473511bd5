using Baton.Contracts.Intents;
using Baton.Grains.Intents.Executors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Grains.Intents;

/// <summary>Dependency-injection keys of the intent grains.</summary>
public static class IntentServiceKeys
{
    /// <summary>
    /// The keyed <see cref="TimeProvider"/> intents read time from (approval deadlines, retry due times). It resolves to
    /// the silo's TimeProvider; tests register a FakeTimeProvider under this key to move intent time alone.
    /// </summary>
    public const string Clock = "baton.intents.clock";
}

/// <summary>Tunables of <see cref="WriteIntentGrain"/>; configuration <c>Baton:Intents</c>. The defaults are production's.</summary>
public sealed class IntentOptions
{
    /// <summary>
    /// Period of the backstop reminder a non-terminal intent keeps: it resumes an attempt (or expires the intent) after
    /// the silo hosting it died. Must not be below Orleans' <c>ReminderOptions.MinimumReminderPeriod</c> (1 minute by default).
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one attempt may take before it counts as a timed-out (retryable) failure.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The HMAC-SHA256 key the <c>http</c> executor signs request bodies with (<c>Baton:Intents:HttpSigningSecret</c>).
    /// Never logged and never put in an event; without it requests go unsigned.
    /// </summary>
    public string? HttpSigningSecret { get; set; }
}

/// <summary>
/// Where an intent's rules (risk scoring, approval policy, delegation policies) come from. The default serves
/// <see cref="IntentRules.Default"/>; a policies store replaces it.
/// </summary>
public interface IIntentRulesSource
{
    ValueTask<IntentRules> GetAsync();
}

/// <summary>Serves one fixed <see cref="IntentRules"/>.</summary>
public sealed class FixedIntentRules(IntentRules rules) : IIntentRulesSource
{
    public FixedIntentRules() : this(IntentRules.Default)
    {
    }

    public ValueTask<IntentRules> GetAsync() => ValueTask.FromResult(rules);
}

public static class IntentServiceCollectionExtensions
{
    /// <summary>The named HttpClient the <c>http</c> executor sends with.</summary>
    public const string HttpClientName = "baton.intents.http";

    /// <summary>
    /// What the intent grains need in a silo: <see cref="IntentOptions"/> (configuration <c>Baton:Intents</c>), the intent
    /// clock, the rules source and the built-in executors, each a keyed <see cref="IWriteExecutor"/> under its interface
    /// key (<c>http</c>, <c>entity</c>). Registrations made before this call win; add more executors the same way.
    /// </summary>
    public static IServiceCollection AddBatonIntents(this IServiceCollection services)
    {
        services.AddOptions<IntentOptions>().BindConfiguration("Baton:Intents")
            .Validate(o => o.AttemptTimeout > TimeSpan.Zero && o.AttemptTimeout <= TimeSpan.FromHours(1), "Baton:Intents:AttemptTimeout must be above 0 and at most 1 hour.")
            .Validate(o => o.ReminderPeriod > TimeSpan.Zero, "Baton:Intents:ReminderPeriod must be above 0.")
            .ValidateOnStart();
        services.TryAddKeyedSingleton<TimeProvider>(IntentServiceKeys.Clock, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.TryAddSingleton<IIntentRulesSource, FixedIntentRules>();
        services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddKeyedSingleton<IWriteExecutor, HttpWriteExecutor>(HttpWriteExecutor.Key);
        services.TryAddKeyedSingleton<IWriteExecutor, EntityWriteExecutor>(EntityWriteExecutor.Key);
        return services;
    }
}
