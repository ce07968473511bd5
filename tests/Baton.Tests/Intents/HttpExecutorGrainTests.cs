using System.Text;
using System.Text.Json;
using Baton.Contracts.Intents;
using Baton.Contracts.Locks;
using Baton.Tests.Events;
using Baton.Tests.Locks;
using static Baton.Tests.Intents.IntentRequests;

namespace Baton.Tests.Intents;

/// <summary>The <c>http</c> executor through the intent grain against a real Kestrel sink on loopback.</summary>
[Collection(IntentClusterCollection.Name)]
public sealed class HttpExecutorGrainTests(IntentCluster cluster) : IAsyncLifetime
{
    private HttpSink _sink = null!;

    public async Task InitializeAsync() => _sink = await HttpSink.StartAsync();

    public async Task DisposeAsync() => await _sink.DisposeAsync();

    [Fact]
    public async Task Two_503_answers_then_success_end_Succeeded_after_three_attempts_with_one_effective_write()
    {
        _sink.Respond = request => Task.FromResult(_sink.Requests.Count(r => r.IdempotencyKey == request.IdempotencyKey) <= 2 ? 503 : 201);
        var request = Http(_sink.Url("hooks/comments"));
        var id = KeyOf(request);

        var proposed = await cluster.ProposeAsync(request);
        var done = await Poll.Until(cluster.Intent(id).Get, v => v.Phase.IsTerminal());

        Assert.Equal(IntentPhase.Approved, proposed.Intent.Phase);
        Assert.Equal(IntentPhase.Succeeded, done.Phase);
        Assert.Equal([503, 503, 201], done.Attempts.Select(a => a.StatusCode));
        Assert.Equal([ExecutionOutcome.RetryableFailure, ExecutionOutcome.RetryableFailure, ExecutionOutcome.Succeeded], done.Attempts.Select(a => a.Outcome!.Value));
        Assert.Equal(1, _sink.EffectiveWrites);
        Assert.Equal(3, _sink.Requests.Count);
        Assert.All(_sink.Requests, r =>
        {
            Assert.Equal(id, r.IdempotencyKey);
            Assert.True(r.SignatureValid, $"request {r.Number} carried signature '{r.Signature}'");
            Assert.Equal("POST", r.Method);
        });
        using var body = JsonDocument.Parse(_sink.Requests[0].Body);
        Assert.Equal("looks good", body.RootElement.GetProperty("comment").GetString());
        Assert.Equal(["retryable_failure", "retryable_failure"], done.PhaseHistory.Where(c => c.To == IntentPhase.Retrying).Select(c => c.Reason));
    }

    [Fact]
    public async Task A_4xx_answer_fails_the_intent_at_once()
    {
        _sink.Respond = _ => Task.FromResult(422);
        var request = Http(_sink.Url("hooks/comments"));

        await cluster.ProposeAsync(request);
        var done = await Poll.Until(cluster.Intent(KeyOf(request)).Get, v => v.Phase.IsTerminal());

        Assert.Equal(IntentPhase.Failed, done.Phase);
        Assert.Equal("permanent_failure", done.Outcome!.Reason);
        Assert.Equal([422], done.Attempts.Select(a => a.StatusCode));
        Assert.Single(_sink.Requests);
        Assert.Equal(0, _sink.EffectiveWrites);
    }

    [Fact]
    public async Task A_stale_fence_fails_the_intent_and_no_request_reaches_the_sink()
    {
        var lockGrain = cluster.Grains.GetGrain<ILockGrain>(Requests.Key("intent"));
        var old = await lockGrain.Hold("agent-7");
        await lockGrain.Release(old.LeaseId, "agent-7", "done");
        await lockGrain.Hold("agent-9");
        var request = Http(_sink.Url("hooks/deploy"), new IntentFence { LockKey = old.Key, Token = old.FencingToken });

        await cluster.ProposeAsync(request);
        var done = await Poll.Until(cluster.Intent(KeyOf(request)).Get, v => v.Phase.IsTerminal());

        Assert.Equal(IntentPhase.Failed, done.Phase);
        Assert.Equal("stale_fence", done.Outcome!.Reason);
        Assert.Equal("stale_fence", Assert.Single(done.Attempts).Reason);
        Assert.Empty(_sink.Requests);
    }

    [Fact]
    public async Task A_current_fence_lets_the_write_through_and_names_the_token()
    {
        var lockGrain = cluster.Grains.GetGrain<ILockGrain>(Requests.Key("intent"));
        var lease = await lockGrain.Hold("agent-7");
        var request = Http(_sink.Url("hooks/deploy"), new IntentFence { LockKey = lease.Key, Token = lease.FencingToken });

        await cluster.ProposeAsync(request);
        var done = await Poll.Until(cluster.Intent(KeyOf(request)).Get, v => v.Phase.IsTerminal());

        Assert.Equal(IntentPhase.Succeeded, done.Phase);
        Assert.Equal($"{lease.Key} {lease.FencingToken}", Assert.Single(_sink.Requests).Fence);
    }

    [Fact]
    public async Task Preview_describes_the_request_without_sending_it_and_masks_credentials()
    {
        var request = Http(_sink.Url("hooks/preview")) with
        {
            Payload = $$$"""{"method":"PUT","url":"{{{_sink.Url("hooks/preview")}}}","headers":{"Authorization":"Bearer hunter2"},"body":{"a":1}}""",
            Operation = "update",
        };
        var intent = cluster.Intent(KeyOf(request));
        await intent.Propose(request);

        var preview = await intent.Preview();

        Assert.StartsWith("PUT ", preview.Summary);
        Assert.DoesNotContain("hunter2", preview.Detail);
        Assert.Contains("***", preview.Detail);
    }

    [Fact]
    public void The_signature_is_HMAC_SHA256_of_the_exact_body_bytes()
    {
        var body = Encoding.UTF8.GetBytes("""{"a":1}""");

        Assert.True(HttpSink.SignatureMatches(body, Baton.Grains.Intents.Executors.HttpSigning.Sign(HttpSink.Secret, body)));
        Assert.False(HttpSink.SignatureMatches(body, Baton.Grains.Intents.Executors.HttpSigning.Sign("another secret", body)));
        Assert.False(HttpSink.SignatureMatches(Encoding.UTF8.GetBytes("""{"a":2}"""), Baton.Grains.Intents.Executors.HttpSigning.Sign(HttpSink.Secret, body)));
    }
}
