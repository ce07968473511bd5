namespace Baton.Contracts;

/// <summary>Names shared by every grain and client that publishes or reads Baton events.</summary>
public static class BatonStreams
{
    /// <summary>The stream provider: memory streams in dev mode, the durable PostgreSQL queue in Postgres mode.</summary>
    public const string Provider = "baton";

    /// <summary>How many streams carry the events of namespace <c>locks</c> (see <see cref="KeyOf"/>).</summary>
    public const int LockShards = 64;

    /// <summary>
    /// The key of the stream (within <paramref name="streamNamespace"/>) that carries the events about
    /// <paramref name="subject"/>. It is the subject itself, except for lock events: those travel on one of
    /// <see cref="LockShards"/> streams, <c>shard-NN</c>, chosen by a stable hash of the lock key. Lock keys are
    /// numerous and short-lived (an agent may lock a fresh resource every few milliseconds); a stream per key made
    /// every pulling agent track, and every subscriber activate, one stream per key ever used. A shard stream keeps
    /// each key's events in order (a key always maps to the same stream, read in order), and its subscriber is one
    /// long-lived activation per shard.
    /// </summary>
    public static string KeyOf(string streamNamespace, string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return string.Equals(streamNamespace, EventNamespaces.Locks, StringComparison.Ordinal) ? LockShardOf(subject) : subject;
    }

    /// <summary>The shard stream key of a lock key: <c>shard-00</c> to <c>shard-63</c>, the same in every process and version.</summary>
    public static string LockShardOf(string lockKey)
    {
        ArgumentNullException.ThrowIfNull(lockKey);

        // FNV-1a over the UTF-16 code units: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in lockKey)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return $"shard-{hash % LockShards:D2}";
    }
}
