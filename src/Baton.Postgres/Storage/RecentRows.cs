namespace Baton.Postgres.Storage;

/// <summary>
/// The rows of <see cref="Grains.Common.IReadOnDemand"/> states this silo's storage wrote or read lately, each as the
/// version and payload it had then, least recently used first out: at most <c>capacity</c> rows and
/// <c>maxBytes</c> of payload. <see cref="PostgresGrainStorage"/> hands an activation the remembered state instead of
/// reading it, as a guess: the grain's next write names the remembered version, so it fails if anyone wrote the row
/// since, and the grain then reads what is stored and decides again. A remembered row therefore costs no read when
/// it is still current and one failed write when it is not; a row not remembered costs the insert guess that
/// <see cref="Grains.Common.IReadOnDemand"/> describes. None of it affects what is stored.
/// </summary>
internal sealed class RecentRows(int capacity, long maxBytes)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _rows = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _order = new();
    private long _bytes;

    /// <summary>The version and payload remembered for <paramref name="key"/>, or null.</summary>
    public (long Version, byte[] Payload)? Get(string key)
    {
        lock (_gate)
        {
            if (!_rows.TryGetValue(key, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddLast(node);
            return (node.Value.Version, node.Value.Payload);
        }
    }

    /// <summary>Remembers that <paramref name="key"/> is stored at <paramref name="version"/> with <paramref name="payload"/> (which must not change afterwards).</summary>
    public void Set(string key, long version, byte[] payload)
    {
        lock (_gate)
        {
            if (_rows.Remove(key, out var old))
            {
                _order.Remove(old);
                _bytes -= old.Value.Payload.Length;
            }

            if (payload.Length > maxBytes)
            {
                return;
            }

            _rows[key] = _order.AddLast(new Entry(key, version, payload));
            _bytes += payload.Length;
            while (_rows.Count > capacity || _bytes > maxBytes)
            {
                var oldest = _order.First!;
                _order.RemoveFirst();
                _rows.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Payload.Length;
            }
        }
    }

    /// <summary>Forgets <paramref name="key"/>: what is stored for it is not known.</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            if (_rows.Remove(key, out var node))
            {
                _order.Remove(node);
                _bytes -= node.Value.Payload.Length;
            }
        }
    }

    private sealed record Entry(string Key, long Version, byte[] Payload);
}
