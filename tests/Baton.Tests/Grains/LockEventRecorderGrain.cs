using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Tests.Grains;

/// <summary>Keeps, in memory, every envelope published about one lock (key: the lock key), in stream order.</summary>
public interface ILockEventRecorderGrain : IGrainWithStringKey
{
    Task<IReadOnlyList<EventEnvelope>> Received();

    Task Record(EventEnvelope envelope);
}

public sealed class LockEventRecorderGrain : Grain, ILockEventRecorderGrain
{
    private readonly List<EventEnvelope> _received = [];

    public Task<IReadOnlyList<EventEnvelope>> Received() => Task.FromResult<IReadOnlyList<EventEnvelope>>(_received.ToList());

    public Task Record(EventEnvelope envelope)
    {
        _received.Add(envelope);
        return Task.CompletedTask;
    }
}

/// <summary>Reads one shard stream of lock events (key: <c>shard-NN</c>) and hands each event, in order, to its lock's recorder.</summary>
public interface ILockShardRecorderGrain : IGrainWithStringKey
{
}

[ImplicitStreamSubscription(EventNamespaces.Locks)]
public sealed class LockShardRecorderGrain : Grain, ILockShardRecorderGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(EventNamespaces.Locks, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) => GrainFactory.GetGrain<ILockEventRecorderGrain>(envelope.Subject).Record(envelope));
    }
}
