using System.Collections.Concurrent;
using Baton.Contracts.Intents;
using Baton.Grains.Intents;
using Baton.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Baton.Tests.Intents;

/// <summary>
/// The rules the intent grain tests run under: the default risk rules; Low auto-approves on every interface, Medium
/// needs one approval from anybody, High two and Critical three from group <c>ops</c> (olga, oscar, otto); deletes
/// need at least one approval; olga's seat on production deletes is delegated to dave.
/// </summary>
public static class IntentTestRules
{
    public static readonly string[] Ops = ["olga", "oscar", "otto"];

    public static IntentRules Rules { get; } = new()
    {
        Approval = new ApprovalPolicy(new ApprovalPolicyDefinition
        {
            Levels =
            [
                new LevelRequirement { Level = RiskLevel.Low, Approvals = 1, AutoApprove = true },
                new LevelRequirement { Level = RiskLevel.Medium, Approvals = 1 },
                new LevelRequirement { Level = RiskLevel.High, Approvals = 2, ReviewerGroups = ["ops"] },
                new LevelRequirement { Level = RiskLevel.Critical, Approvals = 3, ReviewerGroups = ["ops"] },
            ],
            OperationMinimums = [new OperationMinimum { Operation = "delete*", Approvals = 1 }],
            Groups = new Dictionary<string, IReadOnlyList<string>> { ["ops"] = Ops },
        }),
        Delegations =
        [
            new DelegationPolicy { Id = "olga-away", Owner = "olga", Delegate = "dave", Operations = ["delete*"], Tags = ["production"] },
        ],
    };

    /// <summary>Registers what every intent test silo shares: these rules, the <c>test</c> executor, a 1 s reminder, the sink's secret.</summary>
    public static void Apply(ISiloBuilder silo)
    {
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        silo.Services.AddSingleton<IIntentRulesSource>(new FixedIntentRules(Rules));
        silo.Services.AddKeyedSingleton<IWriteExecutor>(RecordingExecutor.Key, RecordingExecutor.Instance);
        silo.Services.Configure<IntentOptions>(o =>
        {
            o.ReminderPeriod = TimeSpan.FromSeconds(1);
            o.AttemptTimeout = TimeSpan.FromSeconds(10);
            o.HttpSigningSecret = HttpSink.Secret;
        });
    }
}

/// <summary>The <c>test</c> interface: succeeds at once and counts calls per idempotency key.</summary>
public sealed class RecordingExecutor : IWriteExecutor
{
    public const string Key = "test";

    public static RecordingExecutor Instance { get; } = new();

    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    public string InterfaceKey => Key;

    public Task<ExecutionPreview> PreviewAsync(Intent intent, CancellationToken ct) =>
        Task.FromResult(new ExecutionPreview { Summary = $"record {intent.ResourceRef}" });

    public Task<ExecutionResult> ExecuteAsync(Intent intent, string idempotencyKey, CancellationToken ct)
    {
        Calls.AddOrUpdate(idempotencyKey, 1, (_, n) => n + 1);
        return Task.FromResult(new ExecutionResult { Outcome = ExecutionOutcome.Succeeded, Detail = "recorded" });
    }
}

/// <summary>One dev-mode silo (memory storage, streams and reminders) with <see cref="IntentTestRules"/> and real time.</summary>
public sealed class IntentCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    public IWriteIntentGrain Intent(string key) => Grains.GetGrain<IWriteIntentGrain>(key);

    public IReviewerGrain Reviewer(string reviewer) => Grains.GetGrain<IReviewerGrain>(reviewer);

    /// <summary>Proposes <paramref name="request"/> under its derived (or given) key.</summary>
    public Task<ProposeResult> ProposeAsync(ProposeRequest request) => Intent(IntentRequests.KeyOf(request)).Propose(request);

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(new BatonOptions());
            IntentTestRules.Apply(silo);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class IntentClusterCollection : ICollectionFixture<IntentCluster>
{
    public const string Name = "intent-cluster";
}

/// <summary>One dev-mode silo whose intents read time from <see cref="Clock"/> (Orleans keeps real time).</summary>
public sealed class FakeClockIntentCluster : IAsyncLifetime
{
    public static FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddBatonServices(new BatonOptions());
            IntentTestRules.Apply(silo);
            silo.Services.AddKeyedSingleton<TimeProvider>(IntentServiceKeys.Clock, Clock);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FakeClockIntentClusterCollection : ICollectionFixture<FakeClockIntentCluster>
{
    public const string Name = "intent-fake-clock-cluster";
}

/// <summary>Terse proposals for the grain tests; every one names a fresh resource so keys never collide.</summary>
public static class IntentRequests
{
    public const string Requester = "agent-7";

    public static string KeyOf(ProposeRequest request) =>
        request.IdempotencyKey ?? IdempotencyKey.For(request.InterfaceKey, request.Operation, request.ResourceRef, request.Payload);

    /// <summary>High risk (delete 40 + production tag 25): two approvals from ops.</summary>
    public static ProposeRequest HighRisk(string? requestedBy = null) => Test("delete", ["production"], requestedBy);

    /// <summary>Medium risk (delete 40): one approval from anybody.</summary>
    public static ProposeRequest MediumRisk(string? requestedBy = null) => Test("delete", [], requestedBy);

    public static ProposeRequest Test(string operation, IReadOnlyList<string> tags, string? requestedBy = null) => new()
    {
        InterfaceKey = RecordingExecutor.Key,
        Operation = operation,
        ResourceRef = $"repo:acme/{Guid.NewGuid():N}",
        Payload = """{"branch":"old"}""",
        RequestedBy = requestedBy ?? Requester,
        Tags = tags,
        ApprovalTimeout = TimeSpan.FromMinutes(10),
    };

    /// <summary>An http POST to <paramref name="url"/> (Low risk: auto-approved under the test rules) with fast retries.</summary>
    public static ProposeRequest Http(string url, IntentFence? fence = null, int maxAttempts = 5) => new()
    {
        InterfaceKey = "http",
        Operation = "create",
        ResourceRef = $"hook:{Guid.NewGuid():N}",
        Payload = $$$"""{"method":"POST","url":"{{{url}}}","headers":{"X-Trace":"t-1"},"body":{"comment":"looks good","n":{{{Random.Shared.Next()}}}}}""",
        RequestedBy = Requester,
        Fence = fence,
        RetryPolicy = new RetryPolicy { MaxAttempts = maxAttempts, InitialDelay = TimeSpan.FromMilliseconds(100), Backoff = 2, MaxDelay = TimeSpan.FromSeconds(1) },
        ApprovalTimeout = TimeSpan.FromMinutes(10),
    };

    public static ReviewAction Approve() => new() { Decision = ReviewDecision.Approve, Reason = "ok" };
}
