namespace Baton.Benchmarks;

public sealed record BenchSettings(TimeSpan Warmup, TimeSpan Duration);

public sealed record Suite(string Name, string Description, Func<BenchSettings, CancellationToken, Task> RunAsync);

public static class Suites
{
    public static IReadOnlyList<Suite> All { get; } =
    [
        new("baseline", "Grain-call round trips (IManagementGrain) through the client: the floor under every other figure.", BaselineBench.RunAsync),
        new("locks", "Lock cycles (acquire + release): uncontended random keys at 1 and 16 clients, and 16 clients contending for one key.", LockBench.RunAsync),
    ];
}
