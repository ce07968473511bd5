using Baton.Contracts.Intents;
using Baton.Tests.Events;
using Baton.Tests.Infrastructure;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using static Baton.Tests.Intents.IntentRequests;

namespace Baton.Tests.Intents;

/// <summary>
/// The intent index shards and the stored approval policy in PostgreSQL grain storage: what is answered after every
/// activation was collected (so each grain re-reads its row) is what was stored.
/// </summary>
[Collection("postgres")]
public sealed class IntentStoragePostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_index_and_the_stored_policy_are_read_back_from_storage_and_a_new_proposal_uses_the_policy()
    {
        var cluster = await PostgresCluster.StartAsync(await postgres.CreateDatabaseAsync(), silos: 1, configure: b => b.AddSiloBuilderConfigurator<IntentSilos>());
        try
        {
            var grains = cluster.Client;
            var requester = $"pg-lister-{Guid.NewGuid():N}";
            var policy = new ApprovalPolicyDefinition
            {
                Levels =
                [
                    new LevelRequirement { Level = RiskLevel.Low, Approvals = 2, ReviewerGroups = ["ops"] },
                    new LevelRequirement { Level = RiskLevel.Medium, Approvals = 1 },
                ],
                OperationMinimums = [new OperationMinimum { Operation = "delete*", Approvals = 1 }],
                Groups = new Dictionary<string, IReadOnlyList<string>> { ["ops"] = ["olga", "oscar"] },
            };
            var autoApproved = Test("create", [], requester);
            var medium = MediumRisk(requester);
            var executed = (await grains.GetGrain<IWriteIntentGrain>(KeyOf(autoApproved)).Propose(autoApproved)).Intent.Intent.Id;
            var pending = (await grains.GetGrain<IWriteIntentGrain>(KeyOf(medium)).Propose(medium)).Intent.Intent.Id;
            var query = grains.GetGrain<IIntentQueryGrain>(0);
            await Poll.Until(() => query.List(new IntentQuery { RequestedBy = requester }), p => p.Items.Any(i => i.IntentId == executed && i.Phase == IntentPhase.Succeeded) && p.Total == 2);
            var stored = await grains.GetGrain<IApprovalPolicyGrain>(IApprovalPolicyGrain.Key).Replace(new ReplaceIntentPolicy { Approval = policy, Actor = "admin" });

            await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
            var reread = await grains.GetGrain<IApprovalPolicyGrain>(IApprovalPolicyGrain.Key).Get();
            var listed = await query.List(new IntentQuery { RequestedBy = requester });
            var low = Test("create", [], requester);
            var proposed = await grains.GetGrain<IWriteIntentGrain>(KeyOf(low)).Propose(low);

            Assert.Equal(1, stored.Version);
            Assert.Equal(1, reread!.Version);
            Assert.Equal(["olga", "oscar"], reread.Approval.Groups["ops"]);
            Assert.Equal(2, reread.Approval.Levels.Single(l => l.Level == RiskLevel.Low).Approvals);
            Assert.Equal(IntentPhase.Succeeded, listed.Items.Single(i => i.IntentId == executed).Phase);
            Assert.Equal(IntentPhase.PendingApproval, listed.Items.Single(i => i.IntentId == pending).Phase);
            Assert.Equal((IntentPhase.PendingApproval, 2), (proposed.Intent.Phase, proposed.Intent.Requirement.ApprovalsNeeded));
            Assert.Equal(["olga", "oscar"], proposed.Intent.Requirement.Reviewers);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private sealed class IntentSilos : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo) => IntentTestRules.Apply(silo);
    }
}
