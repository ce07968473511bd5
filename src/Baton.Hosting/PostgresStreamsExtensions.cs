using Baton.Contracts;
using Baton.Postgres.Streams;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Streams;

namespace Baton.Hosting;

public static class PostgresStreamsExtensions
{
    /// <summary>
    /// Registers stream provider <see cref="BatonStreams.Provider"/> as Baton's durable PostgreSQL
    /// queue (Postgres mode): events are appended to <c>baton_event_log</c> under their stream's queue, each
    /// queue is read in order by the pulling agent holding its lease, its cursor passes an event once it was
    /// delivered, and a failed event is dead-lettered after <see cref="PostgresStreamOptions.MaxAttempts"/>. Every consumer of Baton's streams is an implicit
    /// subscriber (<c>[ImplicitStreamSubscription]</c>; a grain may still call <c>SubscribeAsync</c> on a
    /// stream it is implicitly subscribed to), so the provider uses implicit pub-sub only: a pulling agent
    /// that meets a new stream looks its consumers up in the implicit table instead of registering as
    /// producer with a pub-sub grain, which cost a <c>PubSubStore</c> write (and a grain call) per new
    /// stream, i.e. per new entity or intent. Explicit subscriptions are refused. Tune with
    /// <paramref name="configure"/> or <c>Services.Configure&lt;PostgresStreamOptions&gt;("baton", ...)</c>.
    /// </summary>
    public static ISiloBuilder AddBatonPostgresStreams(this ISiloBuilder silo, string connectionString, Action<PostgresStreamOptions>? configure = null)
    {
        PostgresStreamRegistration.AddOptions(silo.Services, connectionString, configure);
        silo.AddPersistentStreams(BatonStreams.Provider, PostgresQueueAdapterFactory.Create, stream =>
        {
            stream.ConfigurePullingAgent(agent => agent.Configure<IOptionsMonitor<PostgresStreamOptions>>((o, streams) =>
            {
                o.GetQueueMsgsTimerPeriod = streams.Get(BatonStreams.Provider).PollInterval;

                // A pulling agent scans every stream it knows on each read; a stream is an entity or an intent (lock keys share
                // 64 shard streams), so forget quiet ones after 15 s instead of Orleans' 30 min (an implicit subscriber is found again cheaply).
                o.StreamInactivityPeriod = TimeSpan.FromSeconds(15);
            }));
            stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
        });
        return silo;
    }
}
