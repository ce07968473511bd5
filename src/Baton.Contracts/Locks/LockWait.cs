namespace Baton.Contracts.Locks;

/// <summary>
/// One edge set of the wait-for graph: <see cref="Owner"/> waits (request <see cref="RequestId"/>) for lock
/// <see cref="Key"/>, which it cannot get before the owners in <see cref="BlockedBy"/> let go — incompatible
/// holders, and incompatible waiters queued ahead of it.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.locks.wait")]
public sealed record LockWait
{
    [Id(0)] public string Owner { get; init; } = "";

    [Id(1)] public string Key { get; init; } = "";

    [Id(2)] public string RequestId { get; init; } = "";

    [Id(3)] public int Priority { get; init; }

    [Id(4)] public DateTimeOffset WaitingSince { get; init; }

    [Id(5)] public IReadOnlyList<string> BlockedBy { get; init; } = [];
}
