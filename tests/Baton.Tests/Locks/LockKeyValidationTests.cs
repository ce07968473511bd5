using Baton.Contracts.Locks;
using Baton.Grains.Locks;

namespace Baton.Tests.Locks;

/// <summary>Bad keys and bad requests are refused with the rule they broke, naming the field, and change nothing.</summary>
public sealed class LockKeyValidationTests
{
    [Theory]
    [InlineData("repo:acme/web")]
    [InlineData("env:staging")]
    [InlineData("ticket:JIRA-1234")]
    [InlineData("a:b")]
    [InlineData("repo:café#main")]
    [InlineData("x.y-z_1:😀")]
    public void Valid_keys_are_accepted(string key)
    {
        Assert.Null(LockKey.Problem(key));
        LockKey.Validate(key);
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("repo acme:web", "whitespace")]
    [InlineData("repo:acme web", "whitespace (found at position 9)")]
    [InlineData("repo:acme\tweb", "whitespace")]
    [InlineData("repo:acme\u0001web", "printable")]
    [InlineData("repo:acme\u200Bweb", "printable")]
    [InlineData("repoacme", "type:id (no ':' found)")]
    [InlineData(":acme", "type before ':' is empty")]
    [InlineData("repo:", "id after ':' is empty")]
    [InlineData("re/po:acme", "type of a lock key may contain only")]
    public void Invalid_keys_are_refused_with_the_rule_they_break(string key, string rule)
    {
        var error = Assert.Throws<LockRequestException>(() => LockKey.Validate(key));

        Assert.Equal("Key", error.Field);
        Assert.Contains(rule, error.Rule);
        Assert.Contains(rule, error.Message);
    }

    [Fact]
    public void Keys_longer_than_256_characters_are_refused_and_256_is_fine()
    {
        var longest = "repo:" + new string('x', 251);
        Assert.Null(LockKey.Problem(longest));

        var error = Assert.Throws<LockRequestException>(() => LockKey.Validate(longest + "x"));
        Assert.Contains("at most 256 characters (it has 257)", error.Message);
    }

    [Fact]
    public void A_lock_table_cannot_be_made_for_an_invalid_key()
    {
        var error = Assert.Throws<LockRequestException>(() => new LockTable("no key here"));

        Assert.Equal("Key", error.Field);
    }

    [Theory]
    [InlineData("empty owner", "Owner", "is required")]
    [InlineData("long owner", "Owner", "at most 256 characters")]
    [InlineData("blank request id", "RequestId", "is required")]
    [InlineData("unknown mode", "Mode", "Exclusive or Shared")]
    [InlineData("ttl too short", "Ttl", "between 5 and 300 seconds (got 4)")]
    [InlineData("ttl too long", "Ttl", "between 5 and 300 seconds (got 301)")]
    [InlineData("priority below 0", "Priority", "between 0 and 100 (got -1)")]
    [InlineData("priority above 100", "Priority", "between 0 and 100 (got 101)")]
    [InlineData("negative wait", "MaxWait", "between 0 and 300 seconds (got -1)")]
    [InlineData("wait too long", "MaxWait", "between 0 and 300 seconds (got 301)")]
    [InlineData("purpose too long", "Purpose", "at most 200 characters (got 201)")]
    public void Invalid_acquire_requests_name_the_field_and_rule_and_change_nothing(string problem, string field, string rule)
    {
        var @lock = new LockScenario();
        var valid = @lock.Request("a", maxWaitSeconds: 10);
        var request = problem switch
        {
            "empty owner" => valid with { Owner = "" },
            "long owner" => valid with { Owner = new string('o', 257) },
            "blank request id" => valid with { RequestId = " " },
            "unknown mode" => valid with { Mode = (LockMode)7 },
            "ttl too short" => valid with { Ttl = TimeSpan.FromSeconds(4) },
            "ttl too long" => valid with { Ttl = TimeSpan.FromSeconds(301) },
            "priority below 0" => valid with { Priority = -1 },
            "priority above 100" => valid with { Priority = 101 },
            "negative wait" => valid with { MaxWait = TimeSpan.FromSeconds(-1) },
            "wait too long" => valid with { MaxWait = TimeSpan.FromSeconds(301) },
            "purpose too long" => valid with { Purpose = new string('p', 201) },
            _ => throw new ArgumentOutOfRangeException(nameof(problem), problem, null),
        };

        var error = Assert.Throws<LockRequestException>(() => @lock.Table.Acquire(request, @lock.Now));

        Assert.Equal(field, error.Field);
        Assert.StartsWith(field + ":", error.Message);
        Assert.Contains(rule, error.Message);
        Assert.Empty(@lock.Table.Holders);
        Assert.Empty(@lock.Table.State.Waiters);
        Assert.Equal(0, @lock.Table.LastFencingToken);
        Assert.Empty(@lock.Table.TakeEvents());
    }

    [Fact]
    public void The_boundaries_themselves_are_valid()
    {
        var @lock = new LockScenario();
        var request = @lock.Request("a", priority: 100, maxWaitSeconds: 300, ttlSeconds: 300) with { Purpose = new string('p', 200) };

        Assert.Equal(LockOutcome.Acquired, @lock.Table.Acquire(request, @lock.Now).Outcome);
        Assert.Equal(LockOutcome.Unavailable, @lock.Acquire("b", priority: 0, maxWaitSeconds: 0, ttlSeconds: 5).Outcome);
    }

    [Fact]
    public void Heartbeat_with_an_out_of_range_ttl_names_the_ttl_rule()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a");

        var error = Assert.Throws<LockRequestException>(() => @lock.Table.Heartbeat(a.LeaseId, "a", TimeSpan.FromSeconds(1), @lock.Now));

        Assert.Equal("Ttl", error.Field);
        Assert.Contains("between 5 and 300 seconds", error.Message);
    }

    [Fact]
    public void A_lease_id_leads_back_to_its_lock_key()
    {
        var @lock = new LockScenario("repo:acme/web#v2");
        var lease = @lock.Hold("a");

        Assert.True(LockLeaseId.TryGetKey(lease.LeaseId, out var key));
        Assert.Equal("repo:acme/web#v2", key);
        Assert.False(LockLeaseId.TryGetKey("not-a-lease", out _));
        Assert.False(LockLeaseId.TryGetKey("repo:x#notanumber.abc", out _));
    }
}
