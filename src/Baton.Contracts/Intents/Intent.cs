namespace Baton.Contracts.Intents;

/// <summary>The write an intent stands for, as proposed (and revised); what an executor is given.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.intent")]
public sealed record Intent
{
    /// <summary>The idempotency key; also the grain key and the key an executor sends downstream.</summary>
    [Id(0)] public string Id { get; init; } = "";

    [Id(1)] public string InterfaceKey { get; init; } = "";

    [Id(2)] public string Operation { get; init; } = "";

    [Id(3)] public string ResourceRef { get; init; } = "";

    /// <summary>The payload JSON text as the requester wrote it (latest revision).</summary>
    [Id(4)] public string Payload { get; init; } = "{}";

    /// <summary>The derived idempotency key of the current content; approvals are bound to it.</summary>
    [Id(5)] public string PayloadHash { get; init; } = "";

    [Id(6)] public string RequestedBy { get; init; } = "";

    [Id(7)] public string? Description { get; init; }

    [Id(8)] public IReadOnlyList<string> Tags { get; init; } = [];

    [Id(9)] public string? TicketRef { get; init; }

    [Id(10)] public IntentFence? Fence { get; init; }

    [Id(11)] public RetryPolicy RetryPolicy { get; init; } = RetryPolicy.Default;

    [Id(12)] public TimeSpan ApprovalTimeout { get; init; }

    [Id(13)] public DateTimeOffset ProposedAt { get; init; }

    /// <summary>0 as proposed; one more per revision.</summary>
    [Id(14)] public int Revision { get; init; }

    /// <summary>True when the id was supplied by the caller rather than derived.</summary>
    [Id(15)] public bool CallerKey { get; init; }
}
