using System.Text.Json;
using Baton.Contracts.Locks;
using Baton.Grains.Locks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Baton.Tests.Locks;

/// <summary>The lock grain persists <see cref="LockState"/> as it is and sends the contracts over the wire: both must round-trip.</summary>
public sealed class LockStatePersistenceTests
{
    private static readonly Serializer Orleans = new ServiceCollection()
        .AddSerializer(builder => builder.AddAssembly(typeof(LockState).Assembly).AddAssembly(typeof(LockLease).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    /// <summary>A lock with holders, waiters, remembered requests and ended leases.</summary>
    private static LockScenario BusyLock()
    {
        var @lock = new LockScenario();
        var first = @lock.Hold("a", LockMode.Shared);
        @lock.Hold("b", LockMode.Shared);
        @lock.Acquire("c", LockMode.Exclusive, priority: 70, maxWaitSeconds: 120, requestId: "c-request");
        @lock.Acquire("d", LockMode.Shared, priority: 5, maxWaitSeconds: 120);
        @lock.Acquire("e", LockMode.Exclusive);   // unavailable, remembered
        @lock.Release(first);
        return @lock;
    }

    [Fact]
    public void Lock_state_round_trips_through_the_Orleans_serializer()
    {
        var @lock = BusyLock();

        var copy = RoundTrip(@lock.Table.State);

        AssertSame(@lock.Table.State, copy);
    }

    [Fact]
    public void Lock_state_round_trips_through_the_default_JSON_grain_storage_serializer()
    {
        var @lock = BusyLock();
        var storage = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));

        var copy = storage.Deserialize<LockState>(storage.Serialize(@lock.Table.State));
        Assert.NotNull(copy);

        AssertSame(@lock.Table.State, copy);
    }

    [Fact]
    public void A_table_over_restored_state_carries_on_where_the_old_one_stopped()
    {
        var @lock = BusyLock();
        var restored = new LockScenario(state: RoundTrip(@lock.Table.State));
        restored.Clock.SetUtcNow(@lock.Now);

        restored.Release(restored.Table.Holders.Single().Lease);

        var granted = restored.Table.Holders.Single().Lease;
        Assert.Equal(("c", @lock.Table.LastFencingToken + 1), (granted.Owner, granted.FencingToken));
        Assert.Equal(granted, restored.Table.StatusOf("c-request", restored.Now)!.Lease);
    }

    [Fact]
    public void Typed_errors_keep_their_fields_across_the_wire()
    {
        var request = RoundTrip<LockRequestException>(new LockRequestException("Ttl", "must be between 5 and 300 seconds"));
        var holder = RoundTrip<NotLockHolderException>(new NotLockHolderException("repo:x#1.a", "mallory"));
        var missing = RoundTrip<LeaseNotFoundException>(
            new LeaseNotFoundException("repo:x#1.a", new LeaseEnd { Kind = LeaseEndKind.Expired, LeaseId = "repo:x#1.a" }));

        Assert.Equal(("Ttl", "must be between 5 and 300 seconds", "Ttl: must be between 5 and 300 seconds"), (request.Field, request.Rule, request.Message));
        Assert.Equal(("repo:x#1.a", "mallory"), (holder.LeaseId, holder.Caller));
        Assert.Contains("not the holder", holder.Message);
        Assert.Equal(LeaseEndKind.Expired, missing.EndedAs);
    }

    [Fact]
    public void Events_keep_their_type_through_Orleans_and_name_it_in_JSON()
    {
        var @lock = new LockScenario();
        @lock.Hold("a");
        var acquired = Assert.IsType<LockAcquired>(Assert.Single(@lock.Table.TakeEvents()));

        var copy = RoundTrip<LockEvent>(acquired);
        var json = JsonSerializer.Serialize<LockEvent>(acquired);
        var parsed = JsonSerializer.Deserialize<LockEvent>(json);
        Assert.NotNull(parsed);

        Assert.Equal(acquired, copy);
        Assert.Equal("lock.acquired", JsonDocument.Parse(json).RootElement.GetProperty("type").GetString());
        Assert.Equal(acquired, parsed);
    }

    private static T RoundTrip<T>(T value) where T : class
    {
        var copy = Orleans.Deserialize<T>(Orleans.SerializeToArray(value));
        Assert.NotNull(copy);
        return copy;
    }

    private static void AssertSame(LockState expected, LockState actual)
    {
        Assert.Equal(expected.LastFencingToken, actual.LastFencingToken);
        Assert.Equal(expected.Holders, actual.Holders);
        Assert.Equal(expected.Waiters, actual.Waiters);
        Assert.Equal(expected.Requests, actual.Requests);
        Assert.Equal(expected.EndedLeases, actual.EndedLeases);
        Assert.NotEmpty(actual.Holders);
        Assert.NotEmpty(actual.Waiters);
        Assert.NotEmpty(actual.Requests);
        Assert.NotEmpty(actual.EndedLeases);
    }
}
