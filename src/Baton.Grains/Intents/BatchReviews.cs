using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>
/// Runs a <see cref="BatchReview"/> (approve, reject or delegate) one intent at a time, in order, turning each item's typed refusal into a per-item
/// result. Without <see cref="BatchReview.ContinueOnError"/> the first failure stops the batch and the rest are skipped.
/// </summary>
public static class BatchReviews
{
    /// <summary>Throws <see cref="IntentValidationException"/> when the batch itself is malformed; then no item is reviewed.</summary>
    public static void Validate(BatchReview batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IntentIds is not { Count: >= 1 and <= IntentLimits.MaxBatch })
        {
            throw new IntentValidationException(nameof(BatchReview.IntentIds), $"must name 1–{IntentLimits.MaxBatch} intents (got {batch.IntentIds?.Count ?? 0})");
        }

        if (batch.IntentIds.Any(string.IsNullOrWhiteSpace))
        {
            throw new IntentValidationException(nameof(BatchReview.IntentIds), "ids must not be blank");
        }

        if (batch.IntentIds.Distinct(StringComparer.Ordinal).Count() != batch.IntentIds.Count)
        {
            throw new IntentValidationException(nameof(BatchReview.IntentIds), "ids must be distinct");
        }

        if (batch.Decision is not (ReviewDecision.Approve or ReviewDecision.Reject or ReviewDecision.Delegate))
        {
            throw new IntentValidationException(nameof(BatchReview.Decision), "a batch may only approve, reject or delegate");
        }

        if ((batch.Decision == ReviewDecision.Delegate) != !string.IsNullOrWhiteSpace(batch.DelegateTo))
        {
            throw new IntentValidationException(nameof(BatchReview.DelegateTo), "is required to delegate and refused otherwise");
        }

        IntentDecisions.ValidateReason(batch.Decision, batch.Reason);
    }

    public static async Task<BatchReviewResult> RunAsync(BatchReview batch, Func<string, ReviewAction, Task<ReviewResult>> review)
    {
        Validate(batch);
        ArgumentNullException.ThrowIfNull(review);
        var action = new ReviewAction { Decision = batch.Decision, Reason = batch.Reason, DelegateTo = batch.DelegateTo };
        var items = new List<BatchReviewItem>(batch.IntentIds.Count);
        var stopped = false;
        foreach (var id in batch.IntentIds)
        {
            if (stopped)
            {
                items.Add(new BatchReviewItem { IntentId = id, Status = BatchItemStatus.Skipped });
                continue;
            }

            try
            {
                var result = await review(id, action);
                items.Add(new BatchReviewItem { IntentId = id, Status = BatchItemStatus.Applied, Result = result });
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                items.Add(new BatchReviewItem { IntentId = id, Status = BatchItemStatus.Failed, Error = ErrorCode(ex), Message = ex.Message });
                stopped = !batch.ContinueOnError;
            }
        }

        return new BatchReviewResult { Items = items };
    }

    public static string ErrorCode(Exception error) => error switch
    {
        IntentNotFoundException => "not_found",
        IllegalTransitionException => "illegal_transition",
        ReviewRefusedException => "review_refused",
        IntentValidationException => "validation",
        IntentForbiddenException => "forbidden",
        _ => "error",
    };
}
