namespace Baton.Contracts.Locks;

/// <summary>
/// Lease ids read <c>{key}#{fencing token}.{nonce}</c>, so a caller holding only a lease id (HTTP heartbeat
/// and release carry no key) can be routed to its lock; the nonce keeps ids unguessable from key and token.
/// </summary>
public static class LockLeaseId
{
    public static string Create(string key, long fencingToken, string nonce) => $"{key}#{fencingToken}.{nonce}";

    /// <summary>The lock key inside a lease id; false when the id does not have the lease id shape.</summary>
    public static bool TryGetKey(string? leaseId, out string key)
    {
        key = "";
        if (string.IsNullOrEmpty(leaseId))
        {
            return false;
        }

        // The key may itself contain '#', the token and nonce never do: split at the last one.
        var hash = leaseId.LastIndexOf('#');
        if (hash <= 0)
        {
            return false;
        }

        var tail = leaseId.AsSpan(hash + 1);
        var dot = tail.IndexOf('.');
        if (dot <= 0 || dot == tail.Length - 1 || !long.TryParse(tail[..dot], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return false;
        }

        var candidate = leaseId[..hash];
        if (!LockKey.IsValid(candidate))
        {
            return false;
        }

        key = candidate;
        return true;
    }
}
