using Baton.Contracts;

namespace Baton.Tests.Locks;

/// <summary>Lock events travel on shard streams: the mapping must be stable and keep other namespaces per subject.</summary>
public sealed class LockShardTests
{
    [Fact]
    public void A_lock_key_maps_to_the_same_shard_every_time_and_in_every_process()
    {
        // Fixed values: a change of the hash would send a key's events to another stream than a silo of the previous version.
        Assert.Equal("shard-17", BatonStreams.LockShardOf("repo:baton"));
        Assert.Equal("shard-55", BatonStreams.LockShardOf("env:staging"));
        Assert.Equal(BatonStreams.LockShardOf("ticket:42"), BatonStreams.KeyOf(EventNamespaces.Locks, "ticket:42"));
    }

    [Fact]
    public void Lock_keys_spread_over_all_shards_and_only_lock_events_are_sharded()
    {
        var shards = Enumerable.Range(0, 10_000).Select(i => BatonStreams.LockShardOf($"bench:{i}")).GroupBy(s => s).ToList();
        Assert.Equal(BatonStreams.LockShards, shards.Count);
        Assert.All(shards, s => Assert.InRange(s.Count(), 100, 220));
        Assert.Equal("deployment/web", BatonStreams.KeyOf(EventNamespaces.Entities, "deployment/web"));
    }
}
