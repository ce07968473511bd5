using Baton.Contracts.Entities;
using Baton.Grains.Entities;
using Microsoft.Extensions.Time.Testing;
using static Baton.Tests.Entities.EntityScenario;

namespace Baton.Tests.Entities;

public sealed class EntityHistoryTests
{
    private const string Key = "deployment/web";

    private readonly FakeTimeProvider _time = new(Start);

    private EntityChangeDecision Set(ScenarioEntity state, KindContext kind, string patch, EntityOptions? options = null) =>
        Write(Key, state, Patch(patch), kind, _time.GetUtcNow(), options: options);

    [Fact]
    public async Task InStateSince_is_the_time_of_the_fields_latest_transition()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        Set(state, kind, """{"status":"pending","replicas":1}""");
        _time.Advance(TimeSpan.FromMinutes(10));
        Set(state, kind, """{"status":"running"}""");
        _time.Advance(TimeSpan.FromMinutes(5));
        Set(state, kind, """{"replicas":2}""");
        _time.Advance(TimeSpan.FromMinutes(30));

        var since = EntityHistory.InStateSince(state.History, "status")!;

        Assert.Equal((Start.AddMinutes(10), "\"running\"", 2L), (since.Since, since.Value, since.Version));
        Assert.Equal(TimeSpan.FromMinutes(35), EntityHistory.InStateFor(state.History, "status", _time.GetUtcNow()));
        Assert.Equal(TimeSpan.FromMinutes(30), EntityHistory.InStateFor(state.History, "replicas", _time.GetUtcNow()));
        Assert.Null(EntityHistory.InStateSince(state.History, "never"));
    }

    [Fact]
    public async Task A_no_op_write_does_not_reset_InStateSince()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        Set(state, kind, """{"status":"running"}""");
        _time.Advance(TimeSpan.FromHours(1));
        Set(state, kind, """{"status":"running"}""");

        Assert.Equal(Start, EntityHistory.InStateSince(state.History, "status")!.Since);
    }

    [Fact]
    public async Task TransitionCount_counts_the_fields_changes_within_the_window()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        foreach (var status in new[] { "a", "b", "a", "b", "a" })
        {
            Set(state, kind, $$"""{"status":"{{status}}","other":"{{status}}"}""");
            _time.Advance(TimeSpan.FromMinutes(10));
        }

        var now = _time.GetUtcNow();

        Assert.Equal(5, EntityHistory.TransitionCount(state.History, "status", TimeSpan.FromHours(1), now));
        Assert.Equal(2, EntityHistory.TransitionCount(state.History, "status", TimeSpan.FromMinutes(20), now));
        Assert.Equal(0, EntityHistory.TransitionCount(state.History, "status", TimeSpan.FromMinutes(5), now));
        Assert.Equal(0, EntityHistory.TransitionCount(state.History, "missing", TimeSpan.FromDays(1), now));
    }

    [Fact]
    public async Task Query_returns_newest_first_filtered_by_field_and_since_up_to_the_limit()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        for (var i = 1; i <= 5; i++)
        {
            Set(state, kind, $$"""{"n":{{i}},"m":{{i}}}""");
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var latest = EntityHistory.Query(state.History, "n", null, 2);
        var since = EntityHistory.Query(state.History, null, Start.AddMinutes(3), 100);

        Assert.Equal(["5", "4"], latest.Select(t => t.To));
        Assert.Equal(4, since.Count);
        Assert.All(since, t => Assert.True(t.At >= Start.AddMinutes(3)));
        Assert.Throws<EntityValidationException>(() => EntityHistory.Query(state.History, null, null, 0));
    }

    [Fact]
    public async Task History_records_every_field_not_just_a_handful()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        var fields = string.Join(",", Enumerable.Range(0, 300).Select(i => $"\"f{i}\":{i}"));

        Set(state, kind, "{" + fields + "}");

        Assert.Equal(300, state.History.Select(t => t.Field).Distinct().Count());
    }

    [Fact]
    public async Task Retention_by_count_drops_the_oldest_but_keeps_each_fields_latest_transition()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        var options = new EntityOptions { History = new EntityHistoryOptions { MaxTransitions = 3 } };
        Set(state, kind, """{"quiet":"set once"}""", options);
        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            Set(state, kind, $$"""{"busy":{{i}}}""", options);
        }

        Assert.Equal(3, state.History.Count);
        Assert.Equal(["quiet", "busy", "busy"], state.History.Select(t => t.Field));
        Assert.Equal(Start, EntityHistory.InStateSince(state.History, "quiet")!.Since);
        Assert.Equal(["8", "9"], state.History.Where(t => t.Field == "busy").Select(t => t.To));
    }

    [Fact]
    public async Task Retention_by_age_drops_old_transitions_but_keeps_each_fields_latest()
    {
        var kind = await Kind();
        var state = new ScenarioEntity();
        var options = new EntityOptions { History = new EntityHistoryOptions { MaxAge = TimeSpan.FromDays(30), MaxTransitions = null } };
        Set(state, kind, """{"a":1,"b":1}""", options);
        _time.Advance(TimeSpan.FromDays(20));
        Set(state, kind, """{"a":2}""", options);
        _time.Advance(TimeSpan.FromDays(20));
        Set(state, kind, """{"a":3}""", options);

        Assert.Equal([("b", "1"), ("a", "2"), ("a", "3")], state.History.Select(t => (t.Field, t.To!)));
    }

    [Fact]
    public void The_default_retention_keeps_history_for_any_age_and_ten_thousand_transitions()
    {
        var options = new EntityHistoryOptions();

        Assert.Null(options.MaxAge);
        Assert.Equal(10_000, options.MaxTransitions);
    }
}
