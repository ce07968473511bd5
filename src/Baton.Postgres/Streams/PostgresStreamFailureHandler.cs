using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Turns Orleans' report of a failed delivery into a counted attempt at the queue's reader.
/// </summary>
/// <remarks>
/// Orleans' pulling agent retries delivering an event to a subscriber for
/// <c>StreamPullingAgentOptions.MaxEventDeliveryTime</c>; when it gives up it calls
/// <see cref="OnDeliveryFailure"/> with the event's token, leaves the event out of what it later reports as
/// delivered, and moves on to the events behind it, so the queue keeps flowing. The reader then hands the event
/// out again after <see cref="PostgresStreamOptions.RedeliveryDelay"/> or, on its last attempt, moves it to
/// <c>baton_stream_dead_letter</c> with the reason (see <see cref="PostgresQueueAdapterReceiver.DeliveryFailedAsync"/>).
/// </remarks>
public sealed partial class PostgresStreamFailureHandler(
    QueueId queueId,
    Func<QueueId, PostgresQueueAdapterReceiver?> receiverOf,
    ILogger<PostgresStreamFailureHandler> logger) : IStreamFailureHandler
{
    /// <summary>Never: an implicit subscription cannot be faulted anyway, and an explicit one should not be dropped for one bad event.</summary>
    public bool ShouldFaultSubsriptionOnError => false;

    public async Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        if (sequenceToken is not PostgresStreamSequenceToken token)
        {
            LogUnknownToken(streamIdentity, sequenceToken);
            return;
        }

        if (receiverOf(queueId) is not { } receiver)
        {
            // The queue has no reader here any more; its next reader hands the event out again from the cursor.
            LogNoReader(token.Position, queueId.GetNumericId());
            return;
        }

        var error = $"delivery to subscription {subscriptionId.Guid} of stream {streamIdentity} on provider '{streamProviderName}' failed after Orleans' delivery retries";
        var outcome = await receiver.DeliveryFailedAsync(token.Position, error);
        LogDeliveryFailed(token.Position, queueId.GetNumericId(), streamIdentity, outcome);
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        LogSubscriptionFailed(subscriptionId.Guid, streamIdentity, streamProviderName);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering the event at position {Position} (queue {Queue}, stream {Stream}) failed; the event is now {Outcome}.")]
    private partial void LogDeliveryFailed(long position, uint queue, StreamId stream, DeliveryFailureOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering the event at position {Position} of queue {Queue} failed, and the queue has no reader on this silo any more; its next reader delivers it again.")]
    private partial void LogNoReader(long position, uint queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A delivery on stream {Stream} failed with token {Token}, which is not a Baton queue token; nothing recorded.")]
    private partial void LogUnknownToken(StreamId stream, StreamSequenceToken? token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {Subscription} to stream {Stream} on provider '{Provider}' failed.")]
    private partial void LogSubscriptionFailed(Guid subscription, StreamId stream, string provider);
}
