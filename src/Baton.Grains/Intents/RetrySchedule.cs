using System.Net.Http;
using System.Net.Sockets;
using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>
/// When the next attempt is due and which failures deserve one. The delay after failed attempt n (1-based) is
/// <c>min(MaxDelay, InitialDelay × Backoff^(n−1))</c>, without jitter (each intent retries on its own key, so there
/// is no herd to spread); after <see cref="RetryPolicy.MaxAttempts"/> attempts there is none.
/// </summary>
public static class RetrySchedule
{
    public static TimeSpan DelayAfter(RetryPolicy policy, int failedAttempt)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        var ticks = policy.InitialDelay.Ticks * Math.Pow(policy.Backoff, failedAttempt - 1);
        return double.IsFinite(ticks) && ticks < policy.MaxDelay.Ticks ? TimeSpan.FromTicks((long)ticks) : policy.MaxDelay;
    }

    /// <summary>When attempt <paramref name="failedAttempt"/> + 1 is due, or null when the policy allows no more.</summary>
    public static DateTimeOffset? NextAttemptAt(RetryPolicy policy, int failedAttempt, DateTimeOffset failedAt) =>
        failedAttempt >= policy.MaxAttempts ? null : failedAt + DelayAfter(policy, failedAttempt);

    /// <summary>
    /// 2xx succeeded; 5xx, 408 (request timeout) and 429 (too many requests) are worth retrying, since they say "not
    /// now" rather than "never"; every other status (4xx, and 1xx/3xx, which a finished request should not end with) fails at once.
    /// </summary>
    public static ExecutionOutcome Classify(int statusCode) => statusCode switch
    {
        >= 200 and < 300 => ExecutionOutcome.Succeeded,
        >= 500 and < 600 or 408 or 429 => ExecutionOutcome.RetryableFailure,
        _ => ExecutionOutcome.PermanentFailure,
    };

    /// <summary>
    /// Timeouts and connection errors are retryable; anything else an executor throws is not. A cancellation through
    /// <paramref name="callerToken"/> is the caller stopping, not a failure: it is rethrown.
    /// </summary>
    public static ExecutionOutcome Classify(Exception error, CancellationToken callerToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is OperationCanceledException && callerToken.IsCancellationRequested)
        {
            throw error;
        }

        return error switch
        {
            HttpRequestException { StatusCode: { } status } => Classify((int)status),
            HttpRequestException or TimeoutException or OperationCanceledException or SocketException or IOException => ExecutionOutcome.RetryableFailure,
            _ when error.InnerException is { } inner => Classify(inner, callerToken),
            _ => ExecutionOutcome.PermanentFailure,
        };
    }

    /// <summary>Throws <see cref="IntentValidationException"/> for field <c>RetryPolicy</c> when the policy breaks a limit.</summary>
    public static void Validate(RetryPolicy? policy)
    {
        const string field = nameof(ProposeRequest.RetryPolicy);
        if (policy is null)
        {
            throw new IntentValidationException(field, "is required");
        }

        if (policy.MaxAttempts is < 1 or > IntentLimits.MaxAttempts)
        {
            throw new IntentValidationException(field, $"MaxAttempts must be 1–{IntentLimits.MaxAttempts} (got {policy.MaxAttempts})");
        }

        if (policy.InitialDelay <= TimeSpan.Zero || policy.InitialDelay > IntentLimits.MaxRetryDelay)
        {
            throw new IntentValidationException(field, $"InitialDelay must be above 0 and at most {IntentLimits.MaxRetryDelay} (got {policy.InitialDelay})");
        }

        if (!double.IsFinite(policy.Backoff) || policy.Backoff is < 1 or > 10)
        {
            throw new IntentValidationException(field, $"Backoff must be 1–10 (got {policy.Backoff})");
        }

        if (policy.MaxDelay < policy.InitialDelay || policy.MaxDelay > IntentLimits.MaxRetryDelay)
        {
            throw new IntentValidationException(field, $"MaxDelay must be at least InitialDelay and at most {IntentLimits.MaxRetryDelay} (got {policy.MaxDelay})");
        }
    }
}
