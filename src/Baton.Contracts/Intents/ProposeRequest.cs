namespace Baton.Contracts.Intents;

/// <summary>
/// A proposal to write to the outside world through executor <see cref="InterfaceKey"/>. The intent's id is its
/// idempotency key: by default derived from <c>{ interface_key, operation, resource_ref, payload }</c>, so proposing
/// the same thing twice returns the same intent; a caller may supply its own <see cref="IdempotencyKey"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.intents.propose_request")]
public sealed record ProposeRequest
{
    /// <summary>The executor that will perform the write, e.g. <c>http</c> or <c>entity</c>.</summary>
    [Id(0)] public string InterfaceKey { get; init; } = "";

    /// <summary>The verb, lower case, e.g. <c>create</c>, <c>delete</c>, <c>force-push</c>.</summary>
    [Id(1)] public string Operation { get; init; } = "";

    /// <summary>What is written, <c>type:id</c> by convention (e.g. <c>repo:acme/web</c>); the part before ':' is the resource type.</summary>
    [Id(2)] public string ResourceRef { get; init; } = "";

    /// <summary>The executor's input as JSON text, at most <see cref="IntentLimits.MaxPayloadBytes"/> UTF-8 bytes.</summary>
    [Id(3)] public string Payload { get; init; } = "{}";

    [Id(4)] public string RequestedBy { get; init; } = "";

    [Id(5)] public string? Description { get; init; }

    [Id(6)] public IReadOnlyList<string> Tags { get; init; } = [];

    [Id(7)] public string? TicketRef { get; init; }

    /// <summary>When set, each attempt first checks that this lock's token is still current; a stale one fails the intent.</summary>
    [Id(8)] public IntentFence? Fence { get; init; }

    [Id(9)] public RetryPolicy RetryPolicy { get; init; } = RetryPolicy.Default;

    /// <summary>How long the intent may wait for its quorum before it expires.</summary>
    [Id(10)] public TimeSpan ApprovalTimeout { get; init; } = IntentLimits.DefaultApprovalTimeout;

    /// <summary>A caller-chosen idempotency key (1–64 characters of letters, digits, '-', '_', '.', ':'); null to derive it.</summary>
    [Id(11)] public string? IdempotencyKey { get; init; }
}

/// <summary>The lock and fencing token a write is made under.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.fence")]
public sealed record IntentFence
{
    [Id(0)] public string LockKey { get; init; } = "";

    [Id(1)] public long Token { get; init; }
}

/// <summary>
/// How retryable failures are retried: the delay after failed attempt n is
/// <c>min(MaxDelay, InitialDelay × Backoff^(n−1))</c>, with no jitter, until <see cref="MaxAttempts"/> attempts were made.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.intents.retry_policy")]
public sealed record RetryPolicy
{
    /// <summary>
    /// A new instance each time: it initialises persisted members (<see cref="Intent.RetryPolicy"/>), and the JSON
    /// grain-storage serializer populates such member values in place on read, which would rewrite a shared instance.
    /// </summary>
    public static RetryPolicy Default => new();

    /// <summary>All attempts, the first included: 1–20.</summary>
    [Id(0)] public int MaxAttempts { get; init; } = 5;

    [Id(1)] public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The factor each delay grows by: 1–10.</summary>
    [Id(2)] public double Backoff { get; init; } = 2.0;

    [Id(3)] public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(100);
}

/// <summary>What <see cref="IWriteIntentGrain.Propose"/> answers.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.propose_result")]
public sealed record ProposeResult
{
    [Id(0)] public IntentView Intent { get; init; } = new();

    /// <summary>True when this call created the intent; false when the same proposal was already known.</summary>
    [Id(1)] public bool Created { get; init; }
}

/// <summary>A revised payload for an intent in <see cref="IntentPhase.ChangesRequested"/>; earlier approvals no longer count.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.revise_request")]
public sealed record ReviseRequest
{
    [Id(0)] public string Payload { get; init; } = "{}";

    /// <summary>A new description; null keeps the current one.</summary>
    [Id(1)] public string? Description { get; init; }

    /// <summary>What changed, for the reviewers.</summary>
    [Id(2)] public string? Reason { get; init; }
}
