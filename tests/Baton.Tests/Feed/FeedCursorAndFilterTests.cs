using Baton.Contracts;

namespace Baton.Tests.Feed;

public sealed class FeedCursorAndFilterTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("42", 42L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void A_cursor_is_the_decimal_log_position(string cursor, long position)
    {
        Assert.True(FeedCursor.TryParse(cursor, out var parsed));
        Assert.Equal(position, parsed);
        Assert.Equal(cursor, FeedCursor.Format(position));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("0x10")]
    [InlineData("1e3")]
    [InlineData("٣")]
    [InlineData("9223372036854775808")]
    [InlineData("00000000000000000001")]
    public void Anything_else_is_not_a_cursor(string? cursor)
    {
        Assert.False(FeedCursor.TryParse(cursor, out _));
        var error = Assert.Throws<ArgumentException>(() => FeedCursor.Parse(cursor!));
        Assert.Equal("after", error.ParamName);
    }

    [Theory]
    [InlineData("lock.*", "lock.acquired", true)]
    [InlineData("lock.*", "lock.lease.expired", true)]
    [InlineData("lock.*", "locks.acquired", false)]
    [InlineData("lock.*", "lock", false)]
    [InlineData("entity.changed", "entity.changed", true)]
    [InlineData("entity.changed", "entity.changed.more", false)]
    [InlineData("lock.*,entity.changed", "entity.changed", true)]
    [InlineData("lock.*,entity.changed", "entity.created", false)]
    [InlineData("*", "anything.at.all", true)]
    [InlineData("", "anything.at.all", true)]
    [InlineData(" lock.acquired , run.* ", "run.claimed", true)]
    public void Types_match_exactly_or_by_dotted_prefix(string patterns, string type, bool matches)
    {
        Assert.True(EventTypeFilter.TryParse(patterns, out var filter, out var error), error);
        Assert.Equal(matches, filter.Matches(type));
    }

    [Theory]
    [InlineData("Lock.*")]
    [InlineData("lock*")]
    [InlineData("lock.**")]
    [InlineData("*.acquired")]
    [InlineData("lock..acquired")]
    [InlineData("lock.acquired,")]
    [InlineData("lock acquired")]
    [InlineData("lock.%")]
    public void A_malformed_type_pattern_is_refused_with_a_reason(string patterns)
    {
        Assert.False(EventTypeFilter.TryParse(patterns, out _, out var error));
        Assert.Contains("event type pattern", error);
    }

    [Fact]
    public void Repeated_patterns_count_once_and_too_many_are_refused()
    {
        Assert.True(EventTypeFilter.TryParse("lock.*,lock.*,entity.changed", out var filter, out _));
        Assert.Equal(["lock.*", "entity.changed"], filter.Patterns);
        Assert.Equal(["lock."], filter.Prefixes);
        Assert.Equal(["entity.changed"], filter.Exact);

        var tooMany = string.Join(',', Enumerable.Range(0, EventTypeFilter.MaxPatterns + 1).Select(i => $"t{i}.x"));
        Assert.False(EventTypeFilter.TryParse(tooMany, out _, out var error));
        Assert.Contains($"at most {EventTypeFilter.MaxPatterns}", error);
    }

    [Fact]
    public void A_feed_filter_carries_its_namespace_and_subject_prefix_through_the_query()
    {
        var filter = FeedFilter.EntityKind("deploy", EventTypeFilter.Parse(["entity.changed"]));
        var query = filter.Query("42", 10);
        var back = FeedFilter.Of(query);

        Assert.Equal(("42", 10, "entities", "deploy/"), (query.After, query.Limit, query.Namespace, query.SubjectPrefix));
        Assert.True(back.Matches(EventNamespaces.Entities, new EventEnvelope("e", "entity.changed", "deploy/x", 1, DateTimeOffset.UnixEpoch, null, "{}")));
        Assert.False(back.Matches(EventNamespaces.Entities, new EventEnvelope("e", "entity.changed", "deploy-x/y", 1, DateTimeOffset.UnixEpoch, null, "{}")));
        Assert.False(back.Matches(EventNamespaces.Locks, new EventEnvelope("e", "entity.changed", "deploy/x", 1, DateTimeOffset.UnixEpoch, null, "{}")));
        Assert.False(FeedFilter.TryCreate(EventTypeFilter.All, "nope", null, out _, out var error));
        Assert.Contains("not an event namespace", error);
        Assert.Throws<Baton.Contracts.Entities.EntityValidationException>(() => FeedFilter.EntityKind("Deploy"));
    }
}
