namespace Baton.Grains.Locks;

/// <summary>The tunables of <see cref="LockTable"/>; the defaults are what the lock grain uses.</summary>
public sealed record LockTableOptions
{
    public static readonly LockTableOptions Default = new();

    /// <summary>
    /// Aging rate: a waiter's effective priority grows by 1 for every <see cref="AgingStep"/> it waits
    /// (default 2 s, so +30 a minute). After 200 s a priority-0 waiter ranks with a fresh priority-100
    /// arrival and wins the tie by arrival, so within MaxWait's 300 s cap only requests that arrived
    /// less than 200 s after it can overtake it: nobody is starved by a stream of higher priorities.
    /// </summary>
    public TimeSpan AgingStep { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>At most this many ended requests are remembered for idempotent retries.</summary>
    public int RememberedRequests { get; init; } = 64;

    /// <summary>Ended requests are forgotten after this long (retries come within seconds, not hours).</summary>
    public TimeSpan RequestRetention { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many ended leases are remembered (for idempotent releases and "how did it end" errors).</summary>
    public int RememberedLeaseEnds { get; init; } = 16;
}
