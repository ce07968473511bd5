using Baton.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Baton.Postgres.Streams;

/// <summary>Registers Baton's PostgreSQL stream queue under <see cref="BatonStreams.Provider"/>.</summary>
public static class PostgresStreamRegistration
{
    /// <summary>
    /// Registers the named <see cref="PostgresStreamOptions"/> of the provider, validated when the
    /// host starts. Later <c>Configure&lt;PostgresStreamOptions&gt;("baton", ...)</c> calls still apply.
    /// </summary>
    public static void AddOptions(IServiceCollection services, string connectionString, Action<PostgresStreamOptions>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddOptions<PostgresStreamOptions>(BatonStreams.Provider)
            .Configure(o =>
            {
                o.ConnectionString = connectionString;
                configure?.Invoke(o);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PostgresStreamOptions>, PostgresStreamOptionsValidator>();
    }

    /// <summary>
    /// Lets a client publish to (and subscribe to) provider <see cref="BatonStreams.Provider"/>
    /// in Postgres mode: its publishes are written to the same queues the silos read.
    /// </summary>
    public static IClientBuilder AddBatonPostgresStreams(this IClientBuilder client, string connectionString, Action<PostgresStreamOptions>? configure = null)
    {
        AddOptions(client.Services, connectionString, configure);
        client.AddPersistentStreams(BatonStreams.Provider, PostgresQueueAdapterFactory.Create, null);
        return client;
    }

    private sealed class PostgresStreamOptionsValidator : IValidateOptions<PostgresStreamOptions>
    {
        public ValidateOptionsResult Validate(string? name, PostgresStreamOptions options)
        {
            var problems = options.Problems();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
