using Baton.Contracts.Intents;
using Baton.Tests.Infrastructure;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Baton.Tests.Events;
using Xunit.Abstractions;
using static Baton.Tests.Intents.IntentRequests;

namespace Baton.Tests.Intents;

/// <summary>An intent whose silo dies while it is <c>Sending</c> resumes on another silo with the same idempotency key (Postgres mode).</summary>
[Collection("postgres")]
public sealed class IntentCrashTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task An_intent_sending_when_its_silo_is_killed_completes_on_another_silo_with_one_effective_write()
    {
        var database = await postgres.CreateDatabaseAsync();
        var cluster = await PostgresCluster.StartAsync(database, silos: 2, configure: b => b.AddSiloBuilderConfigurator<IntentSilos>());
        await using var sink = await HttpSink.StartAsync();
        try
        {
            // The first request is held until its silo is dead, then refused: its attempt never gets an answer.
            var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            sink.Respond = async request =>
            {
                if (request.Number == 1)
                {
                    firstArrived.TrySetResult();
                    await release.Task.WaitAsync(TimeSpan.FromSeconds(60));
                    return 503;
                }

                return 200;
            };
            var request = Http(sink.Url("hooks/crash"));
            var id = KeyOf(request);
            var intent = cluster.Client.GetGrain<IWriteIntentGrain>(id);

            await intent.Propose(request);
            await firstArrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var sending = await intent.Get();
            var management = cluster.Client.GetGrain<IManagementGrain>(0);
            var home = await management.GetActivationAddress(intent);
            await cluster.KillSiloAsync(cluster.GetActiveSilos().Single(s => s.SiloAddress.Equals(home)));
            release.SetResult();

            var done = await Poll.Until(() => TryGet(intent), v => v?.Phase.IsTerminal() == true, TimeSpan.FromSeconds(90));
            var newHome = await management.GetActivationAddress(intent);
            foreach (var attempt in done?.Attempts ?? [])
            {
                output.WriteLine($"attempt {attempt.Number}: {attempt.Outcome} {attempt.StatusCode} {attempt.Reason} {attempt.Detail}");
            }

            Assert.Equal(IntentPhase.Sending, sending.Phase);
            Assert.Equal(IntentPhase.Succeeded, done!.Phase);
            Assert.Equal(1, sink.EffectiveWrites);
            Assert.True(sink.Requests.Count >= 2, $"the sink saw {sink.Requests.Count} request(s)");
            Assert.All(sink.Requests, r => Assert.Equal(id, r.IdempotencyKey));
            Assert.True(done.Attempts.Count >= 2);
            Assert.Equal(ExecutionOutcome.RetryableFailure, done.Attempts[0].Outcome);
            Assert.NotNull(newHome);
            Assert.NotEqual(home, newHome);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private static async Task<IntentView?> TryGet(IWriteIntentGrain intent)
    {
        try
        {
            return await intent.Get();
        }
        catch (Exception)
        {
            // Calls routed to the dead silo fail until the cluster has declared it dead.
            return null;
        }
    }

    private sealed class IntentSilos : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo) => IntentTestRules.Apply(silo);
    }
}
