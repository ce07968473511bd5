using System.Text.Json.Nodes;
using Baton.Grains.Entities;

namespace Baton.Tests.Entities;

public sealed class StateDiffTests
{
    private static IReadOnlyList<FieldChange> Diff(string? prev, string? next) =>
        StateDiff.TopLevel(prev is null ? null : JsonNode.Parse(prev)!.AsObject(), next is null ? null : JsonNode.Parse(next)!.AsObject());

    [Fact]
    public void Added_removed_and_changed_fields_are_reported_in_ordinal_order_with_old_and_new_values()
    {
        var changes = Diff("""{"status":"running","owner":"a","same":1}""", """{"status":"failed","same":1,"attempt":2}""");

        Assert.Equal(["attempt", "owner", "status"], changes.Select(c => c.Field));
        var attempt = changes[0];
        Assert.True(attempt.Added);
        Assert.Equal("2", attempt.To!.ToJsonString());
        var owner = changes[1];
        Assert.True(owner.Removed);
        Assert.Equal("\"a\"", owner.From!.ToJsonString());
        var status = changes[2];
        Assert.Equal("\"running\"", status.From!.ToJsonString());
        Assert.Equal("\"failed\"", status.To!.ToJsonString());
    }

    [Fact]
    public void Nested_key_order_does_not_matter()
    {
        Assert.Empty(Diff("""{"spec":{"a":1,"b":{"x":true,"y":[1,2]}}}""", """{"spec":{"b":{"y":[1,2],"x":true},"a":1}}"""));
    }

    [Theory]
    [InlineData("1", "1.0")]
    [InlineData("1", "1e0")]
    [InlineData("100", "1E2")]
    [InlineData("0.5", "5e-1")]
    [InlineData("0", "-0.0")]
    [InlineData("12345678901234567890123", "1.2345678901234567890123e22")]
    public void Numbers_compare_by_value_so_another_spelling_is_no_change(string a, string b)
    {
        Assert.Empty(Diff($$$"""{"n":{{{a}}},"nested":{"n":[{{{a}}}]}}""", $$$"""{"n":{{{b}}},"nested":{"n":[{{{b}}}]}}"""));
    }

    [Theory]
    [InlineData("1", "2")]
    [InlineData("12345678901234567890123", "12345678901234567890124")]
    [InlineData("\"1\"", "1")]
    [InlineData("[1,2]", "[2,1]")]
    [InlineData("null", "false")]
    public void Values_that_differ_are_a_change(string a, string b)
    {
        Assert.Single(Diff($$"""{"v":{{a}}}""", $$"""{"v":{{b}}}"""));
    }

    [Fact]
    public void A_field_holding_null_differs_from_an_absent_field()
    {
        var change = Assert.Single(Diff("""{}""", """{"v":null}"""));

        Assert.True(change.Added);
        Assert.Null(change.To);
    }

    [Fact]
    public void Creation_and_removal_report_every_field()
    {
        Assert.Equal(["a", "b"], Diff(null, """{"b":1,"a":2}""").Select(c => c.Field));
        Assert.All(Diff("""{"b":1,"a":2}""", null), c => Assert.True(c.Removed));
    }
}
