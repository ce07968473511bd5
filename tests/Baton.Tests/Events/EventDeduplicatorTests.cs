using Baton.Grains.Events;

namespace Baton.Tests.Events;

/// <summary>The bounded de-duplicator and the per-subject sequence watermarks.</summary>
public sealed class EventDeduplicatorTests
{
    [Fact]
    public void A_repeat_is_recognised_while_it_is_remembered()
    {
        var seen = new EventDeduplicator(capacity: 4);

        Assert.True(seen.FirstSeen("e1"));
        Assert.True(seen.FirstSeen("e2"));
        Assert.False(seen.FirstSeen("e1"));
        Assert.False(seen.FirstSeen("e2"));
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void The_oldest_id_is_forgotten_first_when_capacity_is_exceeded()
    {
        var seen = new EventDeduplicator(capacity: 3);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            Assert.True(seen.FirstSeen(id));
        }

        Assert.False(seen.FirstSeen("b"));
        Assert.False(seen.FirstSeen("c"));
        Assert.False(seen.FirstSeen("d"));
        Assert.True(seen.FirstSeen("a"));   // forgotten, so new again; it evicts "b"
        Assert.True(seen.FirstSeen("b"));
    }

    [Fact]
    public void It_never_remembers_more_than_its_capacity()
    {
        var seen = new EventDeduplicator(capacity: 10);
        for (var i = 0; i < 1000; i++)
        {
            seen.FirstSeen($"e{i}");
        }

        Assert.Equal(10, seen.Count);
        Assert.Equal(10, seen.Capacity);
        Assert.All(Enumerable.Range(990, 10), i => Assert.False(seen.FirstSeen($"e{i}")));
        Assert.True(seen.FirstSeen("e989"));
    }

    [Fact]
    public void A_capacity_below_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventDeduplicator(capacity: 0));
    }

    [Fact]
    public void Watermarks_accept_rising_sequences_with_gaps_and_refuse_repeats_and_regressions()
    {
        var marks = new SequenceWatermarks();

        Assert.True(marks.Advance("a", 1));
        Assert.True(marks.Advance("a", 2));
        Assert.True(marks.Advance("a", 5));
        Assert.False(marks.Advance("a", 5));
        Assert.False(marks.Advance("a", 3));
        Assert.Equal(5, marks.LastSeen("a"));
    }

    [Fact]
    public void Watermarks_are_kept_per_subject()
    {
        var marks = new SequenceWatermarks();

        Assert.True(marks.Advance("a", 7));
        Assert.True(marks.Advance("b", 1));
        Assert.Equal(7, marks.LastSeen("a"));
        Assert.Equal(1, marks.LastSeen("b"));
        Assert.Equal(0, marks.LastSeen("c"));
    }
}
