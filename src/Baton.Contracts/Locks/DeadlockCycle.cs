namespace Baton.Contracts.Locks;

/// <summary>
/// Owners waiting on each other in a ring: <see cref="Waits"/>[i] is blocked by the owner of
/// <see cref="Waits"/>[i + 1], and the last by the owner of the first. <see cref="Victim"/> is the one
/// wait that ends with <see cref="LockOutcome.Deadlock"/> to break it.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.locks.deadlock")]
public sealed record DeadlockCycle
{
    [Id(0)] public IReadOnlyList<LockWait> Waits { get; init; } = [];

    [Id(1)] public LockWait Victim { get; init; } = new();

    [Id(2)] public DateTimeOffset DetectedAt { get; init; }

    /// <summary>"a waits for repo:x behind b → b waits for repo:y behind a".</summary>
    public string Describe() => string.Join(" → ", Waits.Select((wait, i) =>
        $"{wait.Owner} waits for {wait.Key} behind {Waits[(i + 1) % Waits.Count].Owner}"));
}
