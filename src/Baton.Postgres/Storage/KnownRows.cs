namespace Baton.Postgres.Storage;

/// <summary>
/// The rows this silo's storage recently saw stored (it wrote or read them), as a bounded set of keys: the oldest
/// key leaves when a new one comes in at capacity. <see cref="PostgresGrainStorage"/> uses it to decide whether an
/// activation's read of an <see cref="Grains.Common.IReadOnDemand"/> state is worth making: a row known to exist
/// is read at once rather than found by a first write that fails. A key missing from the set only costs that
/// failed first write; a key in it whose row went away costs a read that finds nothing. Neither affects correctness.
/// </summary>
internal sealed class KnownRows(int capacity)
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public bool Contains(string key)
    {
        lock (_gate)
        {
            return _keys.Contains(key);
        }
    }

    public void Add(string key)
    {
        lock (_gate)
        {
            if (!_keys.Add(key))
            {
                return;
            }

            _order.Enqueue(key);
            if (_order.Count > capacity)
            {
                _keys.Remove(_order.Dequeue());
            }
        }
    }
}
