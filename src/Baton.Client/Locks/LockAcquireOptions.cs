using Baton.Contracts.Locks;

namespace Baton.Client.Locks;

/// <summary>How to ask for a lock through <see cref="BatonLocks.AcquireAsync"/>; the defaults are an exclusive 30 s lease, no waiting.</summary>
public sealed record LockAcquireOptions
{
    public LockMode Mode { get; init; } = LockMode.Exclusive;

    /// <summary>Lease time to live, 5–300 s; the lease heartbeats every third of it.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait in the queue, 0–300 s; zero takes the lock only if it is available now.</summary>
    public TimeSpan MaxWait { get; init; }

    public int Priority { get; init; }

    public string? Purpose { get; init; }

    /// <summary>The request id, which makes the acquire idempotent across retries; a new one per call when null.</summary>
    public string? RequestId { get; init; }
}
