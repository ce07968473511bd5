using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Tests.Intents;

/// <summary>The phase machine allows exactly the documented moves; everything else is refused naming the current phase.</summary>
public sealed class IntentLifecycleTests
{
    private static readonly (IntentPhase From, IntentPhase To)[] Legal =
    [
        (IntentPhase.PendingApproval, IntentPhase.Approved),
        (IntentPhase.PendingApproval, IntentPhase.Rejected),
        (IntentPhase.PendingApproval, IntentPhase.ChangesRequested),
        (IntentPhase.PendingApproval, IntentPhase.Expired),
        (IntentPhase.PendingApproval, IntentPhase.Cancelled),
        (IntentPhase.Approved, IntentPhase.Sending),
        (IntentPhase.Approved, IntentPhase.Cancelled),
        (IntentPhase.Sending, IntentPhase.Retrying),
        (IntentPhase.Sending, IntentPhase.Succeeded),
        (IntentPhase.Sending, IntentPhase.Failed),
        (IntentPhase.Retrying, IntentPhase.Sending),
        (IntentPhase.ChangesRequested, IntentPhase.PendingApproval),
    ];

    public static TheoryData<IntentPhase, IntentPhase> AllPairs()
    {
        var data = new TheoryData<IntentPhase, IntentPhase>();
        foreach (var from in Enum.GetValues<IntentPhase>())
        {
            foreach (var to in Enum.GetValues<IntentPhase>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Exactly_the_documented_moves_are_legal_and_the_rest_are_refused_naming_the_current_phase(IntentPhase from, IntentPhase to)
    {
        var legal = Legal.Contains((from, to));

        Assert.Equal(legal, IntentLifecycle.CanMove(from, to));
        if (legal)
        {
            IntentLifecycle.EnsureCanMove("k", from, to, "move");
        }
        else
        {
            var error = Assert.Throws<IllegalTransitionException>(() => IntentLifecycle.EnsureCanMove("k", from, to, "move"));
            Assert.Equal(from, error.Current);
            Assert.Equal(to, error.Attempted);
            Assert.Contains(from.ToString(), error.Message);
        }
    }

    [Fact]
    public void Terminal_phases_lead_nowhere()
    {
        foreach (var phase in Enum.GetValues<IntentPhase>())
        {
            Assert.Equal(phase.IsTerminal(), IntentLifecycle.Next(phase).Count == 0);
        }
    }

    [Fact]
    public void The_happy_road_is_pending_approved_sending_succeeded_with_a_phase_changed_event_per_step()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.Succeeded);

        Assert.Equal(
            [(IntentPhase.PendingApproval, IntentPhase.Approved), (IntentPhase.Approved, IntentPhase.Sending), (IntentPhase.Sending, IntentPhase.Succeeded)],
            scenario.State.PhaseHistory.Select(c => (c.From, c.To)));
        Assert.Equal(3, scenario.EventTypes().Count(t => t == IntentEventTypes.PhaseChanged));
        Assert.Equal(IntentEventTypes.Completed, scenario.EventTypes()[^1]);
    }

    [Fact]
    public void Retrying_and_sending_alternate_until_success()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.Retrying);
        scenario.Wait(TimeSpan.FromSeconds(1));
        Assert.Equal(AttemptStartOutcome.Execute, scenario.Begin().Outcome);
        Assert.Equal(IntentPhase.Sending, scenario.State.Phase);
        scenario.Record(2, ExecutionOutcome.Succeeded, 201);

        Assert.Equal(IntentPhase.Succeeded, scenario.State.Phase);
        Assert.Equal(2, scenario.State.Attempts.Count);
    }

    [Theory]
    [InlineData(IntentPhase.PendingApproval)]
    [InlineData(IntentPhase.Approved)]
    public void Cancel_is_allowed_while_pending_or_approved_and_repeating_it_changes_nothing(IntentPhase phase)
    {
        var scenario = new IntentScenario();
        scenario.Reach(phase);

        Assert.True(scenario.Cancel());
        var events = scenario.EventTypes().Count;
        Assert.False(scenario.Cancel());

        Assert.Equal(IntentPhase.Cancelled, scenario.State.Phase);
        Assert.Equal("cancelled", scenario.State.Outcome!.Reason);
        Assert.Equal(events, scenario.EventTypes().Count);
    }

    [Theory]
    [InlineData(IntentPhase.Sending)]
    [InlineData(IntentPhase.Retrying)]
    [InlineData(IntentPhase.Succeeded)]
    [InlineData(IntentPhase.Failed)]
    [InlineData(IntentPhase.Rejected)]
    [InlineData(IntentPhase.ChangesRequested)]
    [InlineData(IntentPhase.Expired)]
    public void Cancel_is_refused_elsewhere_naming_the_current_phase(IntentPhase phase)
    {
        var scenario = new IntentScenario();
        scenario.Reach(phase);

        var error = Assert.Throws<IllegalTransitionException>(() => scenario.Cancel());

        Assert.Equal(phase, error.Current);
        Assert.Equal(phase, scenario.State.Phase);
    }

    [Fact]
    public void Only_the_requester_may_cancel()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.PendingApproval);

        Assert.Throws<IntentForbiddenException>(() => scenario.Cancel("rev-1"));
        Assert.Equal(IntentPhase.PendingApproval, scenario.State.Phase);
    }

    [Theory]
    [InlineData(IntentPhase.PendingApproval)]
    [InlineData(IntentPhase.Approved)]
    [InlineData(IntentPhase.Rejected)]
    [InlineData(IntentPhase.Succeeded)]
    public void Revision_is_only_allowed_after_changes_were_requested(IntentPhase phase)
    {
        var scenario = new IntentScenario();
        scenario.Reach(phase);

        var error = Assert.Throws<IllegalTransitionException>(() => scenario.Revise("""{"title":"v2"}"""));

        Assert.Equal(phase, error.Current);
        Assert.Equal(0, scenario.State.Intent!.Revision);
    }

    [Fact]
    public void Revision_after_changes_requested_makes_the_intent_pending_again_with_a_new_deadline()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.ChangesRequested);
        scenario.Wait(TimeSpan.FromMinutes(30));

        var view = scenario.Revise("""{"title":"v2"}""");

        Assert.Equal(IntentPhase.PendingApproval, view.Phase);
        Assert.Equal(1, view.Intent.Revision);
        Assert.Equal(scenario.Now + TimeSpan.FromHours(1), view.ApprovalDeadline);
        Assert.Equal(IntentEventTypes.ApprovalRequested, scenario.EventTypes()[^1]);
    }

    [Theory]
    [InlineData(IntentPhase.PendingApproval)]
    [InlineData(IntentPhase.ChangesRequested)]
    [InlineData(IntentPhase.Succeeded)]
    [InlineData(IntentPhase.Cancelled)]
    public void Attempts_start_only_when_approved_retrying_or_sending(IntentPhase phase)
    {
        var scenario = new IntentScenario();
        scenario.Reach(phase);

        var error = Assert.Throws<IllegalTransitionException>(() => scenario.Begin());

        Assert.Equal(phase, error.Current);
    }

    [Theory]
    [InlineData(IntentPhase.Approved)]
    [InlineData(IntentPhase.Rejected)]
    [InlineData(IntentPhase.Cancelled)]
    public void Expiry_leaves_anything_but_a_pending_intent_alone(IntentPhase phase)
    {
        var scenario = new IntentScenario();
        scenario.Reach(phase);
        scenario.Wait(TimeSpan.FromDays(2));

        Assert.Equal(ExpireOutcome.NotPending, scenario.Expire());
        Assert.Equal(phase, scenario.State.Phase);
    }

    [Fact]
    public void A_pending_intent_expires_at_its_deadline_and_not_before()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.PendingApproval);
        scenario.Wait(TimeSpan.FromMinutes(59));
        Assert.Equal(ExpireOutcome.NotDue, scenario.Expire());
        scenario.Wait(TimeSpan.FromMinutes(1));

        Assert.Equal(ExpireOutcome.Expired, scenario.Expire());
        Assert.Equal((IntentPhase.Expired, "expired"), (scenario.State.Phase, scenario.State.Outcome!.Reason));
        Assert.Equal(IntentEventTypes.Completed, scenario.EventTypes()[^1]);
    }

    [Fact]
    public void Reviews_are_refused_once_the_intent_is_no_longer_pending()
    {
        var scenario = new IntentScenario();
        scenario.Reach(IntentPhase.Approved);

        var error = Assert.Throws<IllegalTransitionException>(() => scenario.Approve("rev-2"));

        Assert.Equal(IntentPhase.Approved, error.Current);
    }
}
