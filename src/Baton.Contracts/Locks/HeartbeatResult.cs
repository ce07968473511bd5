namespace Baton.Contracts.Locks;

[GenerateSerializer, Immutable, Alias("baton.locks.heartbeat_result")]
public sealed record HeartbeatResult
{
    [Id(0)] public string LeaseId { get; init; } = "";

    [Id(1)] public long FencingToken { get; init; }

    [Id(2)] public DateTimeOffset ExpiresAt { get; init; }
}
