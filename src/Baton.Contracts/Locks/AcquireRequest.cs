namespace Baton.Contracts.Locks;

/// <summary>A request for a lock. <see cref="RequestId"/> makes it idempotent: a retry with the same id gets the same outcome.</summary>
[GenerateSerializer, Immutable, Alias("baton.locks.acquire_request")]
public sealed record AcquireRequest
{
    [Id(0)] public string Owner { get; init; } = "";

    [Id(1)] public LockMode Mode { get; init; } = LockMode.Exclusive;

    /// <summary>How long the lease lasts without a heartbeat: 5–300 s.</summary>
    [Id(2)] public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>0–100, higher is served first; waiting raises it over time (aging) so nobody starves.</summary>
    [Id(3)] public int Priority { get; init; }

    /// <summary>How long the request may wait in the queue: 0–300 s. Zero means "only if available now".</summary>
    [Id(4)] public TimeSpan MaxWait { get; init; }

    /// <summary>Why the lock is wanted, for people reading the queue: at most 200 characters.</summary>
    [Id(5)] public string? Purpose { get; init; }

    [Id(6)] public string RequestId { get; init; } = "";

    /// <summary>
    /// When set, the call answers <see cref="LockOutcome.Queued"/> (with the queue position) once this much time
    /// has passed without a grant, while the request stays queued until <see cref="MaxWait"/>; its later grant is a
    /// <c>lock.acquired</c> event carrying the RequestId and is what <see cref="ILockGrain.RequestStatus"/> returns.
    /// Null (the default) waits the whole MaxWait. Zero answers Queued at once. At most MaxWait.
    /// </summary>
    /// <remarks>For callers that cannot hold a call open as long as the request may queue (HTTP's 202 Accepted).</remarks>
    [Id(7)] public TimeSpan? ReplyWithin { get; init; }

    /// <summary>Throws a <see cref="LockRequestException"/> naming the first field that breaks its rule.</summary>
    public void Validate()
    {
        LockLimits.CheckText(nameof(Owner), Owner, LockLimits.MaxOwnerLength);
        LockLimits.CheckText(nameof(RequestId), RequestId, LockLimits.MaxRequestIdLength);

        if (!Enum.IsDefined(Mode))
        {
            throw new LockRequestException(nameof(Mode), $"must be Exclusive or Shared (got {(int)Mode})");
        }

        LockLimits.CheckTtl(Ttl);

        if (Priority is < LockLimits.MinPriority or > LockLimits.MaxPriority)
        {
            throw new LockRequestException(nameof(Priority),
                $"must be between {LockLimits.MinPriority} and {LockLimits.MaxPriority} (got {Priority})");
        }

        if (MaxWait < TimeSpan.Zero || MaxWait > LockLimits.MaxWait)
        {
            throw new LockRequestException(nameof(MaxWait),
                $"must be between 0 and {LockLimits.MaxWait.TotalSeconds:0} seconds (got {MaxWait.TotalSeconds:0.###})");
        }

        if (ReplyWithin is { } replyWithin && (replyWithin < TimeSpan.Zero || replyWithin > MaxWait))
        {
            throw new LockRequestException(nameof(ReplyWithin),
                $"must be between 0 and MaxWait ({MaxWait.TotalSeconds:0.###} seconds) (got {replyWithin.TotalSeconds:0.###})");
        }

        if (Purpose is { Length: > LockLimits.MaxPurposeLength })
        {
            throw new LockRequestException(nameof(Purpose),
                $"must be at most {LockLimits.MaxPurposeLength} characters (got {Purpose.Length})");
        }
    }
}
