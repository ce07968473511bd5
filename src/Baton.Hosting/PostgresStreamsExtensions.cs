using Baton.Contracts;
using Baton.Postgres.Streams;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Baton.Hosting;

public static class PostgresStreamsExtensions
{
    /// <summary>
    /// Registers stream provider <see cref="BatonStreams.Provider"/> as Baton's durable PostgreSQL
    /// queue (Postgres mode): events are written to <c>baton_stream_queue</c>, read by Orleans'
    /// pulling agents under a lease, deleted once delivered, and dead-lettered after
    /// <see cref="PostgresStreamOptions.MaxAttempts"/>. Subscriptions live in the durable
    /// <c>PubSubStore</c> grain storage, which the caller registers. Tune with
    /// <paramref name="configure"/> or <c>Services.Configure&lt;PostgresStreamOptions&gt;("baton", ...)</c>.
    /// </summary>
    public static ISiloBuilder AddBatonPostgresStreams(this ISiloBuilder silo, string connectionString, Action<PostgresStreamOptions>? configure = null)
    {
        PostgresStreamRegistration.AddOptions(silo.Services, connectionString, configure);
        silo.AddPersistentStreams(BatonStreams.Provider, PostgresQueueAdapterFactory.Create, stream =>
        {
            stream.ConfigurePullingAgent(agent => agent.Configure<IOptionsMonitor<PostgresStreamOptions>>((o, streams) =>
                o.GetQueueMsgsTimerPeriod = streams.Get(BatonStreams.Provider).PollInterval));
        });
        return silo;
    }
}
