using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Baton.Benchmarks.Harness;
using Baton.Client.Feed;
using Baton.Contracts;
using Baton.Contracts.Intents;

namespace Baton.Benchmarks;

/// <summary>
/// Write intents end to end in Postgres mode: each proposer proposes a fresh <c>http</c> intent (a unique body, so a
/// new idempotency key), which the stored approval policy auto-approves as LOW risk, the silo executes against a
/// Kestrel sink on loopback in this process, and the proposer waits for its <c>intent.completed</c> event before it
/// proposes the next one. Completions are pushed by one watcher over the client's event feed
/// (<see cref="BatonEventFeed.WatchAsync(FeedFilter, string?, CancellationToken)"/>, which polls the silo's event log
/// every <see cref="FeedPoll"/> when caught up) rather than by polling each intent.
/// </summary>
/// <remarks>
/// <para>Setup, as a user would do it: the default policy auto-approves LOW <c>entity</c> writes only, so the suite
/// stores a policy (what <c>POST /api/v1/approvals/policies</c> does) that is the default with <c>http</c> added to the
/// LOW level's auto-approve interfaces. A <c>create</c> on <c>hook:bench</c> with a small body and no tags scores 10
/// (<c>external_http</c>): LOW. The silos sign with <c>Baton:Intents:HttpSigningSecret</c>; the sink checks it.</para>
/// <para>Prints, per case (1 and 16 proposers): <c>_ops_per_s</c> and <c>_intents_per_s</c> (intents that reached
/// Succeeded and were seen by their proposer in the measured window), <c>_p50_ms</c>/<c>_p99_ms</c> (propose call →
/// the proposer saw <c>intent.completed</c>: includes the feed's delivery and poll), <c>_succeeded_p50_ms</c>/
/// <c>_succeeded_p99_ms</c> (propose call → the silo's Succeeded timestamp, the event's <c>occurred_at</c>, same host
/// clock; the Succeeded write commits just after it), PostgreSQL cost per intent, silo, client (which hosts the sink)
/// and PostgreSQL CPU per intent over the measured window (including what each uses while idle), and
/// the sink's counts: effective writes must equal the intents that succeeded, or the suite fails.</para>
/// </remarks>
public static class IntentBench
{
    private const string Interface = "http";
    private const string Operation = "create";
    private const string Resource = "hook:bench";
    private static readonly TimeSpan FeedPoll = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan CompletionPatience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Prime = TimeSpan.FromSeconds(5);

    /// <summary>Long enough for PostgreSQL's statistics to be complete (see <see cref="PostgresWrites.ReadAsync"/>): per-intent costs are exact.</summary>
    private static readonly TimeSpan StatsSettle = TimeSpan.FromSeconds(11);

    /// <summary>The default policy (RiskRules/ApprovalPolicy defaults) with <c>http</c> allowed to auto-approve at LOW.</summary>
    private static readonly ApprovalPolicyDefinition Policy = new()
    {
        Levels =
        [
            new() { Level = RiskLevel.Low, Approvals = 1, AutoApprove = true, AutoApproveInterfaces = ["entity", "http"] },
            new() { Level = RiskLevel.Medium, Approvals = 1 },
            new() { Level = RiskLevel.High, Approvals = 2 },
            new() { Level = RiskLevel.Critical, Approvals = 3 },
        ],
        OperationMinimums = new[] { "delete*", "*.delete", "*-delete", "*_delete" }.Select(p => new OperationMinimum { Operation = p, Approvals = 1 }).ToList(),
    };

    public static async Task RunAsync(BenchSettings settings, CancellationToken ct)
    {
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await using var sink = await HttpSink.StartAsync(secret);
        await using var cluster = await BenchCluster.StartAsync(silos: 1, new Dictionary<string, string>
        {
            ["Baton__Intents__HttpSigningSecret"] = secret,
        });
        var grains = cluster.Client.Grains;
        await grains.GetGrain<IApprovalPolicyGrain>(IApprovalPolicyGrain.Key).Replace(new ReplaceIntentPolicy { Approval = Policy, Actor = "bench" });

        var completions = new Completions();
        var feed = new BatonEventFeed(grains) { PollInterval = FeedPoll };
        var head = await feed.HeadAsync();
        using var stopWatcher = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watcher = WatchAsync(feed, head, completions, stopWatcher.Token);
        Console.WriteLine("# intents: completion pushed by the client event feed (intent.completed), feed poll "
            + $"{FeedPoll.TotalMilliseconds:F0} ms when caught up; sink {sink.BaseUrl}");

        var mismatches = new List<string>();
        try
        {
            // The cases' 1 s warm-up is too short for the silo's JIT on this path: run it unmeasured first, so the
            // 1-proposer case (run first) does not pay for compilation in its CPU and latency figures.
            var prime = Guid.NewGuid().ToString("N")[..8];
            await ClosedLoop.RunAsync(16, TimeSpan.Zero, Prime, (worker, i) => ProposeAndAwaitAsync(grains, completions, sink.Url($"hooks/{prime}"), prime, worker, i, ct));
            var counters = await PostgresWrites.ReadAsync(cluster.Database, StatsSettle);
            foreach (var proposers in new[] { 1, 16 })
            {
                (counters, var mismatch) = await RunCaseAsync(cluster, sink, completions, counters, proposers, settings, ct);
                if (mismatch is not null)
                {
                    mismatches.Add(mismatch);
                }
            }
        }
        finally
        {
            await stopWatcher.CancelAsync();
            await watcher;
        }

        if (mismatches.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, mismatches));
        }
    }

    /// <summary>
    /// One case, from PostgreSQL's counters <paramref name="before"/> it; answers the counters after it, and a description of
    /// the mismatch when the sink's effective writes differ from the intents that succeeded.
    /// </summary>
    private static async Task<(PostgresWrites After, string? Mismatch)> RunCaseAsync(
        BenchCluster cluster, HttpSink sink, Completions completions, PostgresWrites before, int proposers, BenchSettings settings, CancellationToken ct)
    {
        var name = $"baton_intents_c{proposers}";
        var run = Guid.NewGuid().ToString("N")[..8];
        var url = sink.Url($"hooks/{run}");
        var grains = cluster.Client.Grains;
        var (sinkRequests, sinkWrites, sinkRefused) = (sink.Requests, sink.EffectiveWrites, sink.Refused);
        var (expected, succeeded, failed) = (completions.Expected, completions.Succeeded, completions.Failed);
        var statesBefore = await StateWrites.ReadAsync(cluster.Database);

        // Propose call → the silo's Succeeded timestamp, with the time the proposer saw it, to keep the measured window's.
        var toSucceeded = Enumerable.Range(0, proposers).Select(_ => new List<(long SeenAt, double Ms)>(100_000)).ToArray();
        var cpu = new (TimeSpan Silo, TimeSpan Client, TimeSpan Postgres)[2];
        var measuring = Task.Run(async () =>
        {
            await Task.Delay(settings.Warmup, ct);
            cpu[0] = (cluster.SiloCpuTime(), Process.GetCurrentProcess().TotalProcessorTime, await cluster.PostgresCpuTimeAsync());
            await Task.Delay(settings.Duration, ct);
            cpu[1] = (cluster.SiloCpuTime(), Process.GetCurrentProcess().TotalProcessorTime, await cluster.PostgresCpuTimeAsync());
        }, ct);
        var result = await ClosedLoop.RunAsync(proposers, settings.Warmup, settings.Duration, async (worker, i) =>
            toSucceeded[worker].Add((Stopwatch.GetTimestamp(), await ProposeAndAwaitAsync(grains, completions, url, run, worker, i, ct))));
        await measuring;

        // Intents whose proposer gave up (an error) may still finish: wait for every one before counting.
        var drain = Stopwatch.StartNew();
        while (completions.Pending > 0 && drain.Elapsed < CompletionPatience)
        {
            await Task.Delay(50, ct);
        }

        var after = await PostgresWrites.ReadAsync(cluster.Database, StatsSettle);
        var proposed = completions.Expected - expected;
        var succeededNow = completions.Succeeded - succeeded;
        var sinkWritesNow = sink.EffectiveWrites - sinkWrites;

        result.Print(name);
        Console.WriteLine($"{name}_intents_per_s {result.OpsPerSecond:F1} intents/s");
        var window = toSucceeded.SelectMany(l => l).Where(s => s.SeenAt >= result.MeasuredFrom && s.SeenAt <= result.MeasuredTo).Select(s => s.Ms).Order().ToArray();
        Console.WriteLine($"{name}_succeeded_p50_ms {ClosedLoop.Percentile(window, 0.50):F3} ms");
        Console.WriteLine($"{name}_succeeded_p99_ms {ClosedLoop.Percentile(window, 0.99):F3} ms");
        after.PrintPerOperation(name, before, proposed);
        (await StateWrites.ReadAsync(cluster.Database)).PrintPerOperation(name, statesBefore, proposed);
        if (result.Operations > 0)
        {
            Console.WriteLine($"{name}_silo_cpu_us_per_op {(cpu[1].Silo - cpu[0].Silo).TotalMicroseconds / result.Operations:F1} us/op");
            Console.WriteLine($"{name}_client_cpu_us_per_op {(cpu[1].Client - cpu[0].Client).TotalMicroseconds / result.Operations:F1} us/op");
            Console.WriteLine($"{name}_pg_cpu_us_per_op {(cpu[1].Postgres - cpu[0].Postgres).TotalMicroseconds / result.Operations:F1} us/op");
        }

        Console.WriteLine($"{name}_proposed {proposed} count");
        Console.WriteLine($"{name}_succeeded {succeededNow} count");
        if (completions.Failed - failed is > 0 and var failedNow)
        {
            Console.WriteLine($"{name}_failed {failedNow} count");
        }

        if (completions.Pending > 0)
        {
            Console.WriteLine($"{name}_unfinished {completions.Pending} count");
        }

        Console.WriteLine($"{name}_sink_requests {sink.Requests - sinkRequests} count");
        Console.WriteLine($"{name}_sink_effective_writes {sinkWritesNow} count");
        if (sink.Refused - sinkRefused is > 0 and var refused)
        {
            Console.WriteLine($"{name}_sink_refused {refused} count");
        }

        Console.WriteLine($"{name}_loadavg_1m {File.ReadAllText("/proc/loadavg").Split(' ')[0]} load");
        var match = sinkWritesNow == succeededNow;
        Console.WriteLine($"{name}_sink_writes_match_succeeded {(match ? 1 : 0)} bool");
        return (after, match ? null : $"{name}: the sink applied {sinkWritesNow} writes but {succeededNow} intents succeeded");
    }

    /// <summary>
    /// Proposes one fresh intent and waits for its <c>intent.completed</c>; answers the time from the propose call to the
    /// silo's Succeeded timestamp, in milliseconds. Throws when it is not auto-approved or does not succeed.
    /// </summary>
    private static async Task<double> ProposeAndAwaitAsync(
        IGrainFactory grains, Completions completions, string url, string run, int worker, long i, CancellationToken ct)
    {
        var payload = string.Create(CultureInfo.InvariantCulture,
            $$$"""{"method":"POST","url":"{{{url}}}","body":{"run":"{{{run}}}","proposer":{{{worker}}},"n":{{{i}}}}}""");
        var key = IdempotencyKey.For(Interface, Operation, Resource, payload);
        var done = completions.Expect(key);
        var proposedAt = DateTimeOffset.UtcNow;
        var proposal = await grains.GetGrain<IWriteIntentGrain>(key).Propose(new ProposeRequest
        {
            InterfaceKey = Interface,
            Operation = Operation,
            ResourceRef = Resource,
            Payload = payload,
            RequestedBy = $"bench-{worker}",
            Description = "intents benchmark",
        });
        if (!proposal.Created || !proposal.Intent.Requirement.AutoApproved)
        {
            throw new InvalidOperationException(
                $"intent {key} was {(proposal.Created ? "created" : "already there")}, risk {proposal.Intent.Risk.Level}, {proposal.Intent.Requirement.Basis}");
        }

        var completion = await done.WaitAsync(CompletionPatience, ct);
        return completion.Phase == "succeeded"
            ? (completion.At - proposedAt).TotalMilliseconds
            : throw new InvalidOperationException($"intent {key} ended {completion.Phase}");
    }

    /// <summary>Follows <c>intent.completed</c> on the <c>intents</c> namespace and completes the matching proposer's wait.</summary>
    private static async Task WatchAsync(BatonEventFeed feed, string after, Completions completions, CancellationToken ct)
    {
        var filter = FeedFilter.Of(Contracts.EventTypeFilter.Parse([IntentEventTypes.Completed]), EventNamespaces.Intents);
        try
        {
            await foreach (var e in feed.WatchAsync(filter, after, ct))
            {
                using var document = JsonDocument.Parse(e.Envelope.Payload);
                var phase = document.RootElement.GetProperty("phase").GetString() ?? "";
                completions.Complete(e.Envelope.Subject, new Completion(phase, e.Envelope.OccurredAt));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private sealed record Completion(string Phase, DateTimeOffset At);

    /// <summary>
    /// Writes to <c>baton_grain_state</c> by state name (the grain's <c>[PersistentState]</c> name: <c>intent</c>,
    /// <c>intent-index</c>, …), from the rows' versions (one more per write), and the size of what each write stores.
    /// </summary>
    private sealed record StateWrites(IReadOnlyDictionary<string, (long Writes, double AvgBytes)> ByState)
    {
        public static async Task<StateWrites> ReadAsync(string database)
        {
            await using var connection = new Npgsql.NpgsqlConnection(database);
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(
                "SELECT state_name, sum(version)::bigint, avg(length(payload))::float8 FROM baton_grain_state GROUP BY state_name", connection);
            await using var reader = await command.ExecuteReaderAsync();
            var byState = new Dictionary<string, (long, double)>(StringComparer.Ordinal);
            while (await reader.ReadAsync())
            {
                byState[reader.GetString(0)] = (reader.GetInt64(1), reader.GetDouble(2));
            }

            return new StateWrites(byState);
        }

        public void PrintPerOperation(string name, StateWrites before, long total)
        {
            foreach (var (state, (writes, bytes)) in ByState.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var delta = writes - (before.ByState.TryGetValue(state, out var b) ? b.Writes : 0);
                if (delta > 0 && total > 0)
                {
                    var metric = state.Replace('-', '_');
                    Console.WriteLine($"{name}_state_writes_{metric}_per_op {delta / (double)total:F2} writes/op");
                    Console.WriteLine($"{name}_state_bytes_{metric} {bytes:F0} bytes");
                }
            }
        }
    }

    /// <summary>The proposers' waits by intent id; a repeated event (the feed is at least once) completes nothing twice.</summary>
    private sealed class Completions
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource<Completion>> _waits = new(StringComparer.Ordinal);
        private long _expected;
        private long _succeeded;
        private long _failed;

        public long Expected => Interlocked.Read(ref _expected);

        public long Succeeded => Interlocked.Read(ref _succeeded);

        public long Failed => Interlocked.Read(ref _failed);

        public long Pending => _waits.Count;

        public Task<Completion> Expect(string intentId)
        {
            var wait = new TaskCompletionSource<Completion>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waits.TryAdd(intentId, wait))
            {
                throw new InvalidOperationException($"intent {intentId} is already awaited");
            }

            Interlocked.Increment(ref _expected);
            return wait.Task;
        }

        public void Complete(string intentId, Completion completion)
        {
            if (_waits.TryRemove(intentId, out var wait))
            {
                if (completion.Phase == "succeeded")
                {
                    Interlocked.Increment(ref _succeeded);
                }
                else
                {
                    Interlocked.Increment(ref _failed);
                }

                wait.TrySetResult(completion);
            }
        }
    }
}
