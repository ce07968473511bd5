using System.Text.Json;
using Baton.Contracts;
using Baton.Contracts.Locks;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Grains.Owners;

/// <summary>The grain behind the implicit subscription to one shard stream of lock events (key: <c>shard-NN</c>, see <see cref="BatonStreams.KeyOf"/>).</summary>
public interface ILockEventRouterGrain : IGrainWithStringKey
{
}

/// <summary>
/// Reads one shard stream of the <c>locks</c> namespace and hands every event to the index of the owner it
/// concerns. A lock key always travels on the same shard, which is read in order, and this activation forwards
/// one event at a time, so each owner's index sees every lock's events in order; it drops repeats itself
/// (<see cref="OwnerGrain"/>). There are <see cref="BatonStreams.LockShards"/> routers, long-lived, however many
/// lock keys come and go. Dev mode only: in Postgres mode the locks write the index themselves and no router is
/// subscribed (<see cref="StreamFedOwnerIndexPredicate"/>).
/// </summary>
[ImplicitStreamSubscription(typeof(StreamFedOwnerIndexPredicate))]
public sealed class LockEventRouterGrain(ILogger<LockEventRouterGrain> logger) : Grain, ILockEventRouterGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(EventNamespaces.Locks, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) => RouteAsync(envelope));
    }

    private Task RouteAsync(EventEnvelope envelope)
    {
        var lockEvent = LockEventPayload.Read(envelope, logger);
        return lockEvent is null || string.IsNullOrEmpty(lockEvent.Owner)
            ? Task.CompletedTask
            : GrainFactory.GetGrain<IOwnerIndexGrain>(lockEvent.Owner).Apply(envelope);
    }
}

/// <summary>Reads the <see cref="LockEvent"/> inside an envelope of the <c>locks</c> stream.</summary>
public static class LockEventPayload
{
    /// <summary>The event, or null (logged) when the payload is not a lock event this version knows.</summary>
    public static LockEvent? Read(EventEnvelope envelope, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        try
        {
            return EventPayload.Read<LockEvent>(envelope);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            logger.LogWarning(ex, "Event {EventId} ({Type}) on lock {Key} is not a lock event this silo can read; skipped.",
                envelope.EventId, envelope.Type, envelope.Subject);
            return null;
        }
    }
}
