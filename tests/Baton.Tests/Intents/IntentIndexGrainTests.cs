using Baton.Contracts.Intents;
using Baton.Grains.Intents;
using Baton.Tests.Events;
using static Baton.Tests.Intents.IntentRequests;

namespace Baton.Tests.Intents;

/// <summary>The intent index by phase and requester: kept by the intent grains through every phase change, idempotently.</summary>
[Collection(IntentClusterCollection.Name)]
public sealed class IntentIndexGrainTests(IntentCluster cluster) : IAsyncLifetime
{
    private HttpSink _sink = null!;

    public async Task InitializeAsync() => _sink = await HttpSink.StartAsync();

    public async Task DisposeAsync() => await _sink.DisposeAsync();

    [Fact]
    public async Task The_index_follows_an_intent_through_changes_requested_revision_approval_and_execution()
    {
        var requester = NewRequester();
        var proposed = await cluster.ProposeAsync(MediumRisk(requester));
        var id = proposed.Intent.Intent.Id;
        var intent = cluster.Intent(id);

        var pending = await PhaseOf(requester, id, IntentPhase.PendingApproval);
        await intent.Review("rita", new ReviewAction { Decision = ReviewDecision.RequestChanges, Reason = "smaller" });
        var changes = await PhaseOf(requester, id, IntentPhase.ChangesRequested);
        await intent.Revise(requester, new ReviseRequest { Payload = """{"branch":"new"}""", Reason = "smaller" });
        var revised = await PhaseOf(requester, id, IntentPhase.PendingApproval);
        await intent.Review("rita", Approve());
        var succeeded = await PhaseOf(requester, id, IntentPhase.Succeeded);

        Assert.Equal((0, 1), (pending.Revision, pending.Version));
        Assert.Equal(IntentPhase.ChangesRequested, changes.Phase);
        Assert.Equal((1, IntentPhase.PendingApproval), (revised.Revision, revised.Phase));
        Assert.True(revised.Version > changes.Version);
        Assert.Equal(IntentPhase.Succeeded, succeeded.Phase);
        Assert.Equal(requester, succeeded.RequestedBy);
        Assert.Equal((await intent.Get()).PhaseHistory[^1].At, succeeded.UpdatedAt);
        Assert.Empty((await List(new IntentQuery { Phase = IntentPhase.PendingApproval, RequestedBy = requester })).Items);
        Assert.Equal([id], (await List(new IntentQuery { Phase = IntentPhase.Succeeded, RequestedBy = requester })).Items.Select(i => i.IntentId));
    }

    [Fact]
    public async Task Retries_are_listed_as_retrying_until_the_intent_succeeds()
    {
        var requester = NewRequester();
        _sink.Respond = request => Task.FromResult(_sink.Requests.Count(r => r.IdempotencyKey == request.IdempotencyKey) <= 1 ? 503 : 201);
        var request = Http(_sink.Url("hooks/index")) with
        {
            RequestedBy = requester,
            RetryPolicy = new RetryPolicy { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(2), Backoff = 1, MaxDelay = TimeSpan.FromSeconds(2) },
        };
        var id = KeyOf(request);

        await cluster.ProposeAsync(request);
        var retrying = await PhaseOf(requester, id, IntentPhase.Retrying);
        var succeeded = await PhaseOf(requester, id, IntentPhase.Succeeded);

        Assert.Equal(IntentPhase.Retrying, retrying.Phase);
        Assert.Equal(IntentPhase.Succeeded, succeeded.Phase);
        Assert.True(succeeded.Version > retrying.Version);
        Assert.Equal(1, _sink.EffectiveWrites);
    }

    [Fact]
    public async Task Cancelled_and_rejected_intents_leave_the_pending_list_and_are_listed_under_their_end()
    {
        var requester = NewRequester();
        var cancelled = (await cluster.ProposeAsync(MediumRisk(requester))).Intent.Intent.Id;
        var rejected = (await cluster.ProposeAsync(MediumRisk(requester))).Intent.Intent.Id;
        var open = (await cluster.ProposeAsync(MediumRisk(requester))).Intent.Intent.Id;
        await Poll.Until(() => List(new IntentQuery { Phase = IntentPhase.PendingApproval, RequestedBy = requester }), p => p.Total == 3);

        await cluster.Intent(cancelled).Cancel(requester, "not needed");
        await cluster.Intent(rejected).Review("rita", new ReviewAction { Decision = ReviewDecision.Reject, Reason = "no" });
        var pending = await Poll.Until(() => List(new IntentQuery { Phase = IntentPhase.PendingApproval, RequestedBy = requester }), p => p.Total == 1);
        var ended = await Poll.Until(() => List(new IntentQuery { RequestedBy = requester }), p => p.Items.Count(i => i.Phase.IsTerminal()) == 2);

        Assert.Equal([open], pending.Items.Select(i => i.IntentId));
        Assert.Equal(3, ended.Total);
        Assert.Equal(IntentPhase.Cancelled, ended.Items.Single(i => i.IntentId == cancelled).Phase);
        Assert.Equal(IntentPhase.Rejected, ended.Items.Single(i => i.IntentId == rejected).Phase);
        Assert.Contains(cancelled, (await List(new IntentQuery { Phase = IntentPhase.Cancelled, Limit = IntentIndexing.MaxLimit })).Items.Select(i => i.IntentId));
    }

    [Fact]
    public async Task Pages_list_every_intent_of_a_requester_once_newest_first()
    {
        var requester = NewRequester();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await cluster.ProposeAsync(MediumRisk(requester))).Intent.Intent.Id);
        }

        await Poll.Until(() => List(new IntentQuery { RequestedBy = requester }), p => p.Total == 5);
        var pages = new List<IntentSummaryPage>();
        for (var page = 1; page <= 3; page++)
        {
            pages.Add(await List(new IntentQuery { RequestedBy = requester, Page = page, Limit = 2 }));
        }

        Assert.Equal([2, 2, 1], pages.Select(p => p.Items.Count));
        Assert.All(pages, p => Assert.Equal(5, p.Total));
        var listed = pages.SelectMany(p => p.Items).ToList();
        Assert.Equal(ids.Order(), listed.Select(i => i.IntentId).Order());
        Assert.Equal(listed.OrderByDescending(i => i.ProposedAt).ThenBy(i => i.IntentId, StringComparer.Ordinal).Select(i => i.IntentId), listed.Select(i => i.IntentId));
        Assert.Empty((await List(new IntentQuery { RequestedBy = requester, Page = 4, Limit = 2 })).Items);
        Assert.Equal("page", (await Assert.ThrowsAsync<IntentValidationException>(() => List(new IntentQuery { Page = 0 }))).Field);
        Assert.Equal("limit", (await Assert.ThrowsAsync<IntentValidationException>(() => List(new IntentQuery { Limit = IntentIndexing.MaxLimit + 1 }))).Field);
    }

    [Fact]
    public async Task A_shard_keeps_the_highest_version_so_repeated_and_late_updates_change_nothing()
    {
        var requester = NewRequester();
        var id = $"index-test-{Guid.NewGuid():N}";
        var shard = cluster.Grains.GetGrain<IIntentIndexGrain>(IntentIndexing.ShardOf(id));
        var at = DateTimeOffset.UtcNow;
        var summary = new IntentSummary { IntentId = id, RequestedBy = requester, Phase = IntentPhase.Sending, ProposedAt = at, UpdatedAt = at, Version = 3 };

        await shard.Put(summary);
        await shard.Put(summary);
        await shard.Put(summary with { Phase = IntentPhase.Approved, Version = 2 });
        var afterLate = await List(new IntentQuery { RequestedBy = requester });
        await shard.Put(summary with { Phase = IntentPhase.Succeeded, Version = 4 });
        var afterNext = await List(new IntentQuery { RequestedBy = requester });
        var wrongShard = cluster.Grains.GetGrain<IIntentIndexGrain>((IntentIndexing.ShardOf(id) + 1) % IntentIndexing.Shards);

        Assert.Equal((1, IntentPhase.Sending, 3), (afterLate.Total, afterLate.Items[0].Phase, afterLate.Items[0].Version));
        Assert.Equal((1, IntentPhase.Succeeded), (afterNext.Total, afterNext.Items[0].Phase));
        await Assert.ThrowsAsync<ArgumentException>(() => wrongShard.Put(summary));
    }

    [Fact]
    public void A_shard_keeps_the_last_finished_terminal_intents_and_every_live_one()
    {
        var start = DateTimeOffset.UtcNow;
        var entries = new Dictionary<string, IntentSummary>(StringComparer.Ordinal);
        for (var i = 0; i < IntentIndexing.MaxTerminalPerShard + 3; i++)
        {
            entries[$"t{i}"] = new IntentSummary { IntentId = $"t{i}", Phase = IntentPhase.Succeeded, UpdatedAt = start.AddSeconds(i), Version = 2 };
        }

        entries["live"] = new IntentSummary { IntentId = "live", Phase = IntentPhase.PendingApproval, UpdatedAt = start.AddDays(-1), Version = 1 };

        IntentIndexGrain.Prune(entries);

        Assert.Equal(IntentIndexing.MaxTerminalPerShard + 1, entries.Count);
        Assert.Contains("live", entries.Keys);
        Assert.DoesNotContain("t0", entries.Keys);
        Assert.DoesNotContain("t2", entries.Keys);
        Assert.Contains("t3", entries.Keys);
    }

    [Fact]
    public void The_shard_of_an_id_is_stable_and_in_range()
    {
        Assert.Equal(IntentIndexing.ShardOf("abc"), IntentIndexing.ShardOf("abc"));
        Assert.All(Enumerable.Range(0, 500).Select(i => IntentIndexing.ShardOf($"id-{i}")), s => Assert.InRange(s, 0, IntentIndexing.Shards - 1));
        Assert.Equal(IntentIndexing.Shards, Enumerable.Range(0, 2000).Select(i => IntentIndexing.ShardOf($"id-{i}")).Distinct().Count());

        // FNV-1a 32 of "a" is 0xE40C292C; pinned because a changed hash would orphan every stored entry.
        Assert.Equal((int)(0xE40C292Cu % IntentIndexing.Shards), IntentIndexing.ShardOf("a"));
    }

    private static string NewRequester() => $"lister-{Guid.NewGuid():N}";

    private Task<IntentSummaryPage> List(IntentQuery query) => cluster.Grains.GetGrain<IIntentQueryGrain>(0).List(query);

    /// <summary>Waits until the index lists <paramref name="id"/> in <paramref name="phase"/>; fails if it never does.</summary>
    private async Task<IntentSummary> PhaseOf(string requester, string id, IntentPhase phase)
    {
        var page = await Poll.Until(() => List(new IntentQuery { RequestedBy = requester }), p => p.Items.Any(i => i.IntentId == id && i.Phase == phase));
        var entry = page.Items.SingleOrDefault(i => i.IntentId == id);
        Assert.True(entry?.Phase == phase, $"the index lists {id} as {entry?.Phase.ToString() ?? "nothing"}, not {phase}");
        return entry!;
    }
}
