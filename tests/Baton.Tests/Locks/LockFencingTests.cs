using Baton.Contracts.Locks;
using Baton.Grains.Locks;

namespace Baton.Tests.Locks;

/// <summary>Every grant carries a fencing token greater than every token granted before it on the same key.</summary>
public sealed class LockFencingTests
{
    [Fact]
    public void Tokens_strictly_increase_across_many_grants_of_every_kind()
    {
        var @lock = new LockScenario();
        var random = new Random(20260301);
        var tokens = new List<long>();

        for (var step = 0; step < 2_000; step++)
        {
            switch (random.Next(4))
            {
                case 0 or 1:
                    var mode = random.Next(2) == 0 ? LockMode.Shared : LockMode.Exclusive;
                    @lock.Acquire($"owner-{random.Next(8)}", mode, random.Next(101), maxWaitSeconds: random.Next(0, 30), ttlSeconds: random.Next(5, 40));
                    break;
                case 2 when @lock.Table.Holders.Count > 0:
                    var lease = @lock.Table.Holders[random.Next(@lock.Table.Holders.Count)].Lease;
                    @lock.Release(lease);
                    break;
                default:
                    @lock.Wait(random.NextDouble() * 10);
                    break;
            }

            tokens.AddRange(@lock.Table.TakeEvents().OfType<LockAcquired>().Select(e => e.Lease.FencingToken));
        }

        Assert.True(tokens.Count > 500, $"the run should grant often; it granted {tokens.Count} times");
        Assert.All(tokens.Zip(tokens.Skip(1)), pair => Assert.True(pair.Second > pair.First, $"{pair.Second} after {pair.First}"));
        Assert.Equal(tokens[^1], @lock.Table.LastFencingToken);
    }

    [Fact]
    public void Shared_holders_each_get_their_own_token()
    {
        var @lock = new LockScenario();

        var a = @lock.Hold("a", LockMode.Shared);
        var b = @lock.Hold("b", LockMode.Shared);

        Assert.True(b.FencingToken > a.FencingToken);
        Assert.True(@lock.Table.IsCurrent(a.FencingToken, @lock.Now));
        Assert.True(@lock.Table.IsCurrent(b.FencingToken, @lock.Now));
    }

    [Fact]
    public void A_token_stops_being_current_when_its_lease_ends_and_the_successor_token_is_greater()
    {
        var @lock = new LockScenario();
        var a = @lock.Hold("a", ttlSeconds: 10);
        @lock.Acquire("b", maxWaitSeconds: 60);

        @lock.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(@lock.Table.IsCurrent(a.FencingToken, @lock.Now));   // already stale before the expiry is processed
        @lock.Table.Advance(@lock.Now);

        var b = @lock.Table.Holders.Single().Lease;
        Assert.True(b.FencingToken > a.FencingToken);
        Assert.True(@lock.Table.IsCurrent(b.FencingToken, @lock.Now));
    }

    [Fact]
    public void Tokens_continue_from_the_persisted_state_after_reactivation()
    {
        var state = new LockState();
        var first = new LockScenario(state: state);
        var before = first.Hold("a");
        first.Release(before);

        var reactivated = new LockScenario(state: state);
        var after = reactivated.Hold("b");

        Assert.True(after.FencingToken > before.FencingToken);
    }

    [Fact]
    public void Tokens_are_never_reused_when_nothing_is_held()
    {
        var @lock = new LockScenario();
        var seen = new HashSet<long>();

        for (var i = 0; i < 50; i++)
        {
            var lease = @lock.Hold($"owner-{i % 3}");
            Assert.True(seen.Add(lease.FencingToken));
            if (i % 2 == 0)
            {
                @lock.Release(lease);
            }
            else
            {
                @lock.Wait(30);
            }
        }
    }
}
