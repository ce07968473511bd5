namespace Baton.Benchmarks;

public sealed record BenchSettings(TimeSpan Warmup, TimeSpan Duration);

public sealed record Suite(string Name, string Description, Func<BenchSettings, CancellationToken, Task> RunAsync);

public static class Suites
{
    public static IReadOnlyList<Suite> All { get; } =
    [
        new("baseline", "Grain-call round trips (IManagementGrain) through the client: the floor under every other figure.", BaselineBench.RunAsync),
        new("events", "Durable events end to end (1 and 8 publisher grains → PostgreSQL stream queue → consumer grains, 256-byte payloads): events/s published and consumed, publish→consumer latency.", EventBench.RunAsync),
        new("locks", "Lock cycles (acquire + release): uncontended random keys at 1 and 16 clients, and 16 clients contending for one key.", LockBench.RunAsync),
        new("entities", "Entity mutations, 16 writers on distinct entities: persisted transitions, change events delivered to a feed consumer, p50/p99.", EntityBench.RunAsync),
        new("intents", "Write intents end to end at 1 and 16 proposers: propose → LOW-risk auto-approve → `http` execute against a loopback sink → Succeeded; intents/s, p50/p99 propose→Succeeded, PostgreSQL writes per intent, sink effective writes.", IntentBench.RunAsync),
    ];
}
