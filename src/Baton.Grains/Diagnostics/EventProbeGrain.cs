using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Grains.Diagnostics;

/// <summary>
/// A diagnostic publisher (see <see cref="IEventProbeGrain"/>), used by the <c>events</c>
/// benchmark. It publishes straight to its stream, without an outbox, so what it measures is the
/// stream provider: one awaited publish per event, as an outbox publishes its pending events.
/// </summary>
public sealed class EventProbeGrain(TimeProvider time) : Grain, IEventProbeGrain
{
    private IAsyncStream<EventEnvelope>? _stream;
    private long _sequence;

    public async Task<int> Publish(int events, int payloadBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(events);
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadBytes, 2);
        var subject = this.GetPrimaryKeyString();
        _stream ??= this.GetStreamProvider(BatonStreams.Provider).GetStream<EventEnvelope>(StreamId.Create(EventProbe.Namespace, subject));

        // A JSON string of exactly payloadBytes UTF-8 bytes.
        var payload = string.Concat("\"", new string('x', payloadBytes - 2), "\"");
        for (var i = 0; i < events; i++)
        {
            await _stream.OnNextAsync(new EventEnvelope(
                Guid.CreateVersion7().ToString(), EventProbe.EventType, subject, ++_sequence, time.GetUtcNow(), null, payload));
        }

        return events;
    }
}
