using System.Net;
using System.Net.Http;
using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Tests.Intents;

/// <summary>Retryable failures back off 1 s, ×2, capped at 100 s, for 5 attempts by default; 4xx fails at once.</summary>
public sealed class RetryScheduleTests
{
    [Fact]
    public void Default_policy_waits_1_2_4_8_seconds_between_five_attempts_and_then_stops()
    {
        var policy = RetryPolicy.Default;
        var at = IntentScenario.Start;

        Assert.Equal((5, TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromSeconds(100)), (policy.MaxAttempts, policy.InitialDelay, policy.Backoff, policy.MaxDelay));
        Assert.Equal([1, 2, 4, 8], Enumerable.Range(1, 4).Select(n => RetrySchedule.NextAttemptAt(policy, n, at)!.Value - at).Select(d => d.TotalSeconds));
        Assert.Null(RetrySchedule.NextAttemptAt(policy, 5, at));
    }

    [Fact]
    public void Delays_are_capped_at_the_maximum()
    {
        var policy = RetryPolicy.Default with { MaxAttempts = 20 };

        Assert.Equal([64, 100, 100], new[] { 7, 8, 19 }.Select(n => RetrySchedule.DelayAfter(policy, n).TotalSeconds));
        Assert.Equal(policy.MaxDelay, RetrySchedule.DelayAfter(policy with { Backoff = 10 }, 19));
    }

    [Theory]
    [InlineData(200, ExecutionOutcome.Succeeded)]
    [InlineData(204, ExecutionOutcome.Succeeded)]
    [InlineData(500, ExecutionOutcome.RetryableFailure)]
    [InlineData(503, ExecutionOutcome.RetryableFailure)]
    [InlineData(408, ExecutionOutcome.RetryableFailure)]
    [InlineData(429, ExecutionOutcome.RetryableFailure)]
    [InlineData(400, ExecutionOutcome.PermanentFailure)]
    [InlineData(404, ExecutionOutcome.PermanentFailure)]
    [InlineData(422, ExecutionOutcome.PermanentFailure)]
    public void Status_codes_are_classified(int status, ExecutionOutcome outcome) =>
        Assert.Equal(outcome, RetrySchedule.Classify(status));

    [Fact]
    public void Timeouts_and_connection_errors_are_retryable_and_the_callers_own_cancellation_is_not_a_failure()
    {
        Assert.Equal(ExecutionOutcome.RetryableFailure, RetrySchedule.Classify(new TimeoutException()));
        Assert.Equal(ExecutionOutcome.RetryableFailure, RetrySchedule.Classify(new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        Assert.Equal(ExecutionOutcome.RetryableFailure, RetrySchedule.Classify(new TaskCanceledException("HttpClient.Timeout")));
        Assert.Equal(ExecutionOutcome.PermanentFailure, RetrySchedule.Classify(new HttpRequestException("bad", null, HttpStatusCode.Forbidden)));
        Assert.Equal(ExecutionOutcome.PermanentFailure, RetrySchedule.Classify(new InvalidOperationException("bad payload")));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => RetrySchedule.Classify(new OperationCanceledException(), cancelled.Token));
    }

    [Fact]
    public void An_intent_retries_on_schedule_and_fails_after_five_retryable_failures()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.Approved);
        var gaps = new List<double>();
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            Assert.Equal(AttemptStartOutcome.Execute, scenario.Begin().Outcome);
            var recorded = scenario.Record(attempt, ExecutionOutcome.RetryableFailure, 503);
            if (recorded.NextAttemptAt is { } next)
            {
                gaps.Add((next - scenario.Now).TotalSeconds);
                scenario.Wait(next - scenario.Now - TimeSpan.FromMilliseconds(1));
                Assert.Equal(AttemptStartOutcome.NotDue, scenario.Begin().Outcome);
                scenario.Wait(TimeSpan.FromMilliseconds(1));
            }
        }

        Assert.Equal([1, 2, 4, 8], gaps);
        Assert.Equal((IntentPhase.Failed, "attempts_exhausted"), (scenario.State.Phase, scenario.State.Outcome!.Reason));
        Assert.Equal(5, scenario.State.Attempts.Count);
        Assert.All(scenario.State.Attempts, a => Assert.Equal(503, a.StatusCode));
    }

    [Fact]
    public void A_4xx_fails_at_once_without_a_retry()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.Approved);
        scenario.Begin();

        var recorded = scenario.Record(1, RetrySchedule.Classify(422), 422);

        Assert.Equal((AttemptRecordOutcome.Failed, IntentPhase.Failed), (recorded.Outcome, recorded.Phase));
        Assert.Equal("permanent_failure", scenario.State.Outcome!.Reason);
        Assert.Single(scenario.State.Attempts);
    }

    [Theory]
    [InlineData(0, 1.0, 2.0, 100.0)]
    [InlineData(21, 1.0, 2.0, 100.0)]
    [InlineData(5, 0.0, 2.0, 100.0)]
    [InlineData(5, 1.0, 0.5, 100.0)]
    [InlineData(5, 10.0, 2.0, 5.0)]
    public void Invalid_retry_policies_are_refused_naming_the_field(int attempts, double initial, double backoff, double max)
    {
        var policy = new RetryPolicy { MaxAttempts = attempts, InitialDelay = TimeSpan.FromSeconds(initial), Backoff = backoff, MaxDelay = TimeSpan.FromSeconds(max) };

        Assert.Equal("RetryPolicy", Assert.Throws<IntentValidationException>(() => RetrySchedule.Validate(policy)).Field);
    }
}
