using System.Collections.Concurrent;
using System.Diagnostics;
using Baton.Contracts.Locks;
using Baton.Tests.Infrastructure;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Baton.Tests.Locks;

/// <summary>
/// Three silos on PostgreSQL, 16 clients contending for 8 keys with random hold times for over 20 s, one silo
/// killed in the middle. A fenced resource judges the holds; every request must reach a definite outcome.
/// </summary>
[Collection("postgres")]
public sealed class LockChaosTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const int Clients = 16;
    private const int Keys = 8;
    private static readonly TimeSpan Load = TimeSpan.FromSeconds(22);
    private static readonly TimeSpan KillAfter = TimeSpan.FromSeconds(9);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Exclusive_holds_never_overlap_and_every_request_completes_when_a_silo_dies()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync(database, silos: 3);
        try
        {
            var keys = Enumerable.Range(0, Keys).Select(i => $"chaos:key-{i}").ToList();
            var clock = Stopwatch.StartNew();
            var run = new ChaosRun(cluster, keys, clock);
            var clients = Enumerable.Range(0, Clients).Select(i => Task.Run(() => run.ClientAsync($"client-{i}", i))).ToList();

            await Task.Delay(KillAfter);
            var victim = cluster.SecondarySilos[0];
            var killedAt = clock.Elapsed;
            await cluster.KillSiloAsync(victim);
            var killDone = clock.Elapsed;
            await Task.WhenAll(clients);
            var finished = clock.Elapsed;

            var leases = run.Grants.Values.ToList();
            var maxTokens = new Dictionary<string, long>();
            foreach (var key in keys)
            {
                maxTokens[key] = (await cluster.Client.GetGrain<ILockGrain>(key).Describe()).LastFencingToken;
            }

            output.WriteLine($"load {finished.TotalSeconds:0.0} s, silo killed at {killedAt.TotalSeconds:0.0} s (took {(killDone - killedAt).TotalSeconds:0.0} s)");
            output.WriteLine($"grants {leases.Count} (after the kill {run.GrantsAfter(killDone)}), outcomes {string.Join(", ", run.Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}");
            output.WriteLine($"call errors retried {run.Errors}, leases lost to expiry {run.LostLeases}, fenced writes refused {run.Refusals}");
            output.WriteLine($"error kinds: {string.Join(", ", run.ErrorKinds.Select(e => $"{e.Key} {e.Value}"))}");

            // Every request reached a definite outcome (granted, unavailable, timed out, deadlock), retries included.
            Assert.Equal(0, run.Incomplete);
            Assert.Empty(run.Violations);

            // Tokens strictly increase per key in grant order, no token names two leases, and the locks know the highest.
            foreach (var byKey in leases.GroupBy(l => l.Key))
            {
                var ordered = byKey.OrderBy(l => l.FencingToken).ToList();
                Assert.Equal(ordered.Count, ordered.Select(l => l.FencingToken).Distinct().Count());
                for (var i = 1; i < ordered.Count; i++)
                {
                    Assert.True(ordered[i].AcquiredAt >= ordered[i - 1].AcquiredAt,
                        $"{byKey.Key}: token {ordered[i].FencingToken} was granted at {ordered[i].AcquiredAt:O}, before token {ordered[i - 1].FencingToken} at {ordered[i - 1].AcquiredAt:O}");
                }

                Assert.True(maxTokens[byKey.Key] >= ordered[^1].FencingToken);
            }

            // Refused writes come only from holders whose lease had ended by the time they let go (fencing at work).
            Assert.All(run.RefusedLeases, leaseId => Assert.Contains(leaseId, run.LostLeaseIds));
            Assert.True(leases.Count >= 100, $"only {leases.Count} grants in {Load.TotalSeconds} s");
            Assert.True(run.GrantsAfter(killDone) > 0, "no grant after the silo was killed");
            Assert.True(run.Outcomes.GetValueOrDefault(LockOutcome.TimedOut) + run.Outcomes.GetValueOrDefault(LockOutcome.Unavailable) > 0,
                "the clients never contended");
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    /// <summary>The clients' shared record and the fenced resource they write to.</summary>
    private sealed class ChaosRun(TestCluster cluster, IReadOnlyList<string> keys, Stopwatch clock)
    {
        private readonly ConcurrentDictionary<string, long> _accepted = new();
        private readonly ConcurrentDictionary<string, TimeSpan> _grantedAt = new();
        private int _errors;
        private int _lostLeases;
        private int _refusals;
        private int _incomplete;

        public ConcurrentDictionary<string, LockLease> Grants { get; } = new();

        public ConcurrentDictionary<LockOutcome, int> Outcomes { get; } = new();

        public ConcurrentDictionary<string, int> ErrorKinds { get; } = new();

        public ConcurrentBag<string> Violations { get; } = [];

        public ConcurrentBag<string> RefusedLeases { get; } = [];

        public ConcurrentBag<string> LostLeaseIds { get; } = [];

        public int Errors => _errors;

        public int LostLeases => _lostLeases;

        public int Refusals => _refusals;

        public int Incomplete => _incomplete;

        /// <summary>Grants the clients received after <paramref name="since"/> into the run.</summary>
        public int GrantsAfter(TimeSpan since) => _grantedAt.Values.Count(t => t > since);

        public async Task ClientAsync(string owner, int seed)
        {
            var random = new Random(seed);
            while (clock.Elapsed < Load)
            {
                var key = keys[random.Next(keys.Count)];
                var lockGrain = cluster.Client.GetGrain<ILockGrain>(key);
                var request = new AcquireRequest
                {
                    Owner = owner,
                    Mode = LockMode.Exclusive,
                    Ttl = TimeSpan.FromSeconds(5),
                    MaxWait = random.Next(4) == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(500 + random.Next(2500)),
                    Purpose = "chaos",
                    RequestId = $"{owner}-{Guid.NewGuid():N}",
                };

                var outcome = await Definitely(() => lockGrain.Acquire(request), request.MaxWait + TimeSpan.FromSeconds(15),
                    o => o.Outcome != LockOutcome.Queued);
                if (outcome is null)
                {
                    Interlocked.Increment(ref _incomplete);
                    continue;
                }

                Outcomes.AddOrUpdate(outcome.Outcome, 1, (_, n) => n + 1);
                if (outcome.Lease is { } lease)
                {
                    await HoldAsync(lockGrain, lease, random);
                }
            }
        }

        private async Task HoldAsync(ILockGrain lockGrain, LockLease lease, Random random)
        {
            if (Grants.TryAdd(lease.LeaseId, lease))
            {
                _grantedAt[lease.LeaseId] = clock.Elapsed;
            }

            var accepted = Write(lease.Key, lease.FencingToken);
            await Task.Delay(random.Next(150));
            var lost = false;
            if (random.Next(3) == 0)
            {
                lost = await EndedAsync(() => lockGrain.Heartbeat(lease.LeaseId, lease.Owner, TimeSpan.FromSeconds(5)));
            }

            var lastAccepted = _accepted.GetValueOrDefault(lease.Key);
            lost = lost || await EndedAsync(() => lockGrain.Release(lease.LeaseId, lease.Owner, "done"));
            if (lost)
            {
                Interlocked.Increment(ref _lostLeases);
                LostLeaseIds.Add(lease.LeaseId);
            }
            else if (!accepted || lastAccepted != lease.FencingToken)
            {
                Violations.Add($"{lease.Key}: lease {lease.LeaseId} (token {lease.FencingToken}) was held until released, " +
                    $"yet its write was {(accepted ? "accepted" : "refused")} and the resource's last token was {lastAccepted}");
            }

            if (!accepted)
            {
                RefusedLeases.Add(lease.LeaseId);
            }
        }

        /// <summary>The fenced resource: accepts a write only with a token greater than the last it accepted for the key.</summary>
        private bool Write(string key, long token)
        {
            while (true)
            {
                var last = _accepted.GetValueOrDefault(key);
                if (token <= last)
                {
                    Interlocked.Increment(ref _refusals);
                    return false;
                }

                if (last == 0 ? _accepted.TryAdd(key, token) : _accepted.TryUpdate(key, token, last))
                {
                    return true;
                }
            }
        }

        /// <summary>Runs a heartbeat or release until it gets an answer; true when the lease had already ended.</summary>
        private async Task<bool> EndedAsync(Func<Task> call)
        {
            var ended = false;
            var answered = await Definitely(async () =>
            {
                try
                {
                    await call();
                }
                catch (LeaseNotFoundException)
                {
                    ended = true;
                }

                return true;
            }, TimeSpan.FromSeconds(15), _ => true);
            if (!answered)
            {
                Interlocked.Increment(ref _incomplete);
            }

            return ended;
        }

        /// <summary>
        /// Calls until an answer that <paramref name="definite"/> accepts; errors (a dead silo, a timeout, a replaced
        /// activation) are retried with the same arguments, which for Acquire means the same RequestId. Null when
        /// no definite answer came within <see cref="GiveUpAfter"/>.
        /// </summary>
        private async Task<T?> Definitely<T>(Func<Task<T>> call, TimeSpan perCall, Func<T, bool> definite)
        {
            var giveUp = Stopwatch.StartNew();
            while (giveUp.Elapsed < GiveUpAfter)
            {
                try
                {
                    var answer = await call().WaitAsync(perCall);
                    if (definite(answer))
                    {
                        return answer;
                    }
                }
                catch (Exception ex) when (ex is not (LockRequestException or NotLockHolderException))
                {
                    Interlocked.Increment(ref _errors);
                    ErrorKinds.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
                    await Task.Delay(100);
                }
            }

            return default;
        }
    }
}
