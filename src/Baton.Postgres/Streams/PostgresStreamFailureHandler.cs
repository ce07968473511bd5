using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Turns Orleans' report of a failed delivery into a counted attempt on the queue row.
/// </summary>
/// <remarks>
/// Orleans' pulling agent retries delivering a batch to a subscriber for
/// <c>StreamPullingAgentOptions.MaxEventDeliveryTime</c>; when it gives up it calls
/// <see cref="OnDeliveryFailure"/> with the batch's token, leaves the batch out of what it later
/// reports as delivered, and moves on to the batches behind it, so the queue keeps flowing. This
/// handler then either makes the row visible again after
/// <see cref="PostgresStreamOptions.RedeliveryDelay"/> (it is claimed again, which counts the
/// next attempt) or, when the row has used <see cref="PostgresStreamOptions.MaxAttempts"/>,
/// moves it to <c>baton_stream_dead_letter</c> with the reason. A poison event therefore costs
/// <c>MaxAttempts</c> claims and ends in the dead-letter table.
/// </remarks>
public sealed partial class PostgresStreamFailureHandler(
    QueueId queueId,
    PostgresQueueTable table,
    PostgresStreamOptions options,
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

        var error = $"delivery to subscription {subscriptionId.Guid} of stream {streamIdentity} on provider '{streamProviderName}' failed after Orleans' delivery retries";
        var outcome = await table.RecordDeliveryFailureAsync(token.RowId, error, options.MaxAttempts, options.RedeliveryDelay);
        LogDeliveryFailed(token.RowId, queueId.GetNumericId(), streamIdentity, outcome);
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        LogSubscriptionFailed(subscriptionId.Guid, streamIdentity, streamProviderName);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering stream queue row {RowId} (queue {Queue}, stream {Stream}) failed; the row is now {Outcome}.")]
    private partial void LogDeliveryFailed(long rowId, uint queue, StreamId stream, DeliveryFailureOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A delivery on stream {Stream} failed with token {Token}, which is not a Baton queue token; nothing recorded.")]
    private partial void LogUnknownToken(StreamId stream, StreamSequenceToken? token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {Subscription} to stream {Stream} on provider '{Provider}' failed.")]
    private partial void LogSubscriptionFailed(Guid subscription, StreamId stream, string provider);
}
