using Baton.Contracts;
using Orleans.Runtime;

namespace Baton.Client.Locks;

/// <summary>
/// How the SDK calls a lock: every attempt with its own timeout, and transient failures retried until a deadline.
/// A silo that dies while it hosts the lock can leave a call unanswered until Orleans' response timeout; the
/// attempt timeout cuts that short, and the retry (same lease id, same RequestId) reaches the lock's new activation.
/// Every lock command is idempotent under retry: an acquire by its RequestId, a heartbeat by setting the expiry,
/// a release by remembering it.
/// </summary>
public static class LockCallPolicy
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Calls <paramref name="call"/> until it answers, fails with a non-transient error, or <paramref name="giveUpAt"/>
    /// passes (then the last transient error is thrown). <paramref name="attemptTimeout"/> bounds each attempt.
    /// </summary>
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, TimeSpan attemptTimeout, DateTimeOffset giveUpAt, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(time);
        var backoff = FirstBackoff;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return await call().WaitAsync(attemptTimeout, time, ct);
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                if (time.GetUtcNow() + backoff >= giveUpAt)
                {
                    throw;
                }
            }

            await Task.Delay(backoff, time, ct);
            backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
        }
    }

    /// <summary>Failures where the command may not have reached the lock or its answer was lost: worth the same call again.</summary>
    public static bool IsTransient(Exception ex) => ex is TimeoutException or OrleansException or StateConflictException;
}
