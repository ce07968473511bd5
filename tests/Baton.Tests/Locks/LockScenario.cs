using Baton.Contracts.Locks;
using Baton.Grains.Locks;
using Microsoft.Extensions.Time.Testing;

namespace Baton.Tests.Locks;

/// <summary>One lock table and a fake clock, with terse ways to ask for, hold and let go of the lock.</summary>
internal sealed class LockScenario
{
    private int _requests;

    public LockScenario(string key = "repo:acme/web", LockTableOptions? options = null, LockState? state = null)
    {
        Table = new LockTable(key, state, options);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public LockTable Table { get; }

    public DateTimeOffset Now => Clock.GetUtcNow();

    public AcquireRequest Request(string owner, LockMode mode = LockMode.Exclusive, int priority = 0,
        int maxWaitSeconds = 0, int ttlSeconds = 30, string? requestId = null) => new()
    {
        Owner = owner,
        Mode = mode,
        Priority = priority,
        MaxWait = TimeSpan.FromSeconds(maxWaitSeconds),
        Ttl = TimeSpan.FromSeconds(ttlSeconds),
        Purpose = $"test work of {owner}",
        RequestId = requestId ?? $"{owner}-{++_requests}",
    };

    public AcquireOutcome Acquire(string owner, LockMode mode = LockMode.Exclusive, int priority = 0,
        int maxWaitSeconds = 0, int ttlSeconds = 30, string? requestId = null) =>
        Table.Acquire(Request(owner, mode, priority, maxWaitSeconds, ttlSeconds, requestId), Now);

    /// <summary>Acquires and insists on a grant.</summary>
    public LockLease Hold(string owner, LockMode mode = LockMode.Exclusive, int ttlSeconds = 30)
    {
        var outcome = Acquire(owner, mode, ttlSeconds: ttlSeconds);
        Assert.Equal(LockOutcome.Acquired, outcome.Outcome);
        return outcome.Lease!;
    }

    public void Release(LockLease lease) => Assert.True(Table.Release(lease.LeaseId, lease.Owner, "done", Now));

    /// <summary>Moves the clock and lets the table catch up, as the grain's timer would.</summary>
    public void Wait(double seconds)
    {
        Clock.Advance(TimeSpan.FromSeconds(seconds));
        Table.Advance(Now);
    }

    public IReadOnlyList<string> HolderOwners() => Table.Holders.Select(h => h.Lease.Owner).Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> QueueOwners() => Table.Queue(Now).Select(e => e.Owner).ToList();

    public IReadOnlyList<T> Events<T>() where T : LockEvent => Table.TakeEvents().OfType<T>().ToList();
}
