using Baton.Contracts.Locks;
using Baton.Contracts.Owners;
using Baton.Grains.Locks;

namespace Baton.Grains.Owners;

/// <summary>
/// An owner index that locks write themselves, in their own state writes (Postgres mode: table
/// <c>baton_lock_owner_index</c>). When one is registered, <see cref="OwnerGrain"/> answers from it and
/// <see cref="LockEventRouterGrain"/> forwards nothing: the stream-fed index is the dev-mode one.
/// </summary>
public interface ILockOwnerIndex
{
    /// <summary>What <paramref name="owner"/> holds and waits for, as of the last committed lock writes.</summary>
    Task<OwnerLocks> ReadAsync(string owner, CancellationToken cancellationToken = default);
}

/// <summary>One lock's entries of the owner index, written beside its state (a side write): its holders' leases and its queued requests.</summary>
public sealed record LockOwnerRows(string Key, IReadOnlyList<LockLease> Held, IReadOnlyList<(string Owner, OwnerWait Wait)> Waiting)
{
    /// <summary>
    /// False when the state this write replaces had no holder and no waiter, so no row of this lock is stored and
    /// none has to be taken back (the write's version check makes sure it replaces exactly that state). True, the
    /// safe default, when it had some or is not known.
    /// </summary>
    public bool ReplacedHadEntries { get; init; } = true;

    /// <summary>The rows of <paramref name="state"/>, the lock keyed <paramref name="key"/>.</summary>
    public static LockOwnerRows Of(string key, LockState state, bool replacedHadEntries = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new LockOwnerRows(
            key,
            [.. state.Holders.Select(h => h.Lease)],
            [.. state.Waiters.Select(w => (w.Owner, new OwnerWait
            {
                Key = key,
                RequestId = w.RequestId,
                Mode = w.Mode,
                Priority = w.Priority,
                EnqueuedAt = w.EnqueuedAt,
                Deadline = w.Deadline,
            }))])
        {
            ReplacedHadEntries = replacedHadEntries,
        };
    }

    /// <summary>The owner's view, in the order <see cref="OwnerGrain"/> lists them.</summary>
    public static OwnerLocks Listing(string owner, IEnumerable<LockLease> held, IEnumerable<OwnerWait> waiting) => new()
    {
        Owner = owner,
        Held = [.. held.OrderBy(l => l.Key, StringComparer.Ordinal).ThenBy(l => l.FencingToken)],
        Waiting = [.. waiting.OrderBy(w => w.Key, StringComparer.Ordinal).ThenBy(w => w.EnqueuedAt)],
    };
}
