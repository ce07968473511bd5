using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Grains.Diagnostics;

/// <summary>
/// A diagnostic consumer (see <see cref="IEventProbeSinkGrain"/>), used by the <c>events</c>
/// benchmark: it keeps two timestamps per delivery in memory until drained, and counts repeats
/// (since the last drain) and sequence regressions so a benchmark notices when delivery guarantees slip.
/// </summary>
[ImplicitStreamSubscription(EventProbe.Namespace)]
public sealed class EventProbeSinkGrain(TimeProvider time) : Grain, IEventProbeSinkGrain
{
    private readonly List<long> _published = [];
    private readonly List<long> _received = [];
    private readonly HashSet<string> _seen = [];
    private long _lastSequence;
    private long _total;
    private long _repeats;
    private long _outOfOrder;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var stream = this.GetStreamProvider(BatonStreams.Provider)
            .GetStream<EventEnvelope>(StreamId.Create(EventProbe.Namespace, this.GetPrimaryKeyString()));
        await stream.SubscribeAsync((envelope, _) =>
        {
            Record(envelope);
            return Task.CompletedTask;
        });
    }

    public Task<long> Received() => Task.FromResult(_total);

    public Task<EventProbeReceipts> Drain()
    {
        var receipts = new EventProbeReceipts([.. _published], [.. _received], _repeats, _outOfOrder);
        _published.Clear();
        _received.Clear();
        _seen.Clear();
        _repeats = 0;
        _outOfOrder = 0;
        return Task.FromResult(receipts);
    }

    private void Record(EventEnvelope envelope)
    {
        var now = time.GetUtcNow().UtcTicks;
        _total++;
        if (!_seen.Add(envelope.EventId))
        {
            _repeats++;
            return;
        }

        if (envelope.Sequence <= _lastSequence)
        {
            _outOfOrder++;
        }

        _lastSequence = Math.Max(_lastSequence, envelope.Sequence);
        _published.Add(envelope.OccurredAt.UtcTicks);
        _received.Add(now);
    }
}
