using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Tests.Grains;

/// <summary>Keeps, in memory, every envelope published on one lock's <c>locks</c> stream (key: the lock key).</summary>
public interface ILockEventRecorderGrain : IGrainWithStringKey
{
    Task<IReadOnlyList<EventEnvelope>> Received();
}

[ImplicitStreamSubscription(EventNamespaces.Locks)]
public sealed class LockEventRecorderGrain : Grain, ILockEventRecorderGrain
{
    private readonly List<EventEnvelope> _received = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(EventNamespaces.Locks, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) =>
        {
            _received.Add(envelope);
            return Task.CompletedTask;
        });
    }

    public Task<IReadOnlyList<EventEnvelope>> Received() => Task.FromResult<IReadOnlyList<EventEnvelope>>(_received.ToList());
}
