namespace Baton.Contracts.Locks;

/// <summary>
/// Which lock an acquire request went to, keyed by the request id: HTTP's <c>GET /api/v1/locks/requests/{request_id}</c>
/// carries no key, and an acquire request lives in its lock. Registered before the request is queued, so a
/// request a client was told about (202 Accepted) can always be found. Request ids are global in this index:
/// one id names one request on one key.
/// </summary>
public interface ILockRequestGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records that this request id is a request of <paramref name="owner"/> for lock <paramref name="key"/>. Repeating
    /// the same registration is a no-op; the id already registered for another key or owner throws a
    /// <see cref="LockRequestException"/> for <c>RequestId</c>.
    /// </summary>
    Task Register(string key, string owner);

    /// <summary>The lock key the request went to, or null when the id was never registered (or was forgotten).</summary>
    Task<string?> GetKey();

    /// <summary>Drops the entry, once its lock no longer remembers the request either.</summary>
    Task Forget();
}
