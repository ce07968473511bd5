using Baton.Contracts;

namespace Baton.Grains.Events;

/// <summary>
/// Remembers the last <see cref="Capacity"/> distinct event ids it was shown, so a consumer can
/// drop redeliveries (delivery is at-least-once). Oldest ids are forgotten first (a ring), so a
/// repeat that arrives after <see cref="Capacity"/> newer events is no longer recognised; size it
/// above the number of events a redelivery can reach back over (an outbox's pending batch, a
/// stream's redelivery window). Serializable, so a consumer grain can keep it in its persisted
/// state and de-duplicate across its own restarts.
/// </summary>
/// <remarks>The public properties are the storage shape; use <see cref="FirstSeen"/>.</remarks>
[GenerateSerializer, Alias("baton.events.deduplicator")]
public sealed class EventDeduplicator
{
    public const int DefaultCapacity = 1024;

    // Derived from Ring, so not stored; rebuilt on first use after deserialization.
    [NonSerialized]
    private HashSet<string>? _index;

    public EventDeduplicator() : this(DefaultCapacity)
    {
    }

    public EventDeduplicator(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Ring = new string?[capacity];
    }

    /// <summary>The remembered ids; slot <see cref="Next"/> holds the oldest once the ring is full.</summary>
    [Id(0)]
    public string?[] Ring { get; set; }

    /// <summary>The slot the next new id is written to.</summary>
    [Id(1)]
    public int Next { get; set; }

    public int Capacity => Ring.Length;

    /// <summary>How many ids are remembered (at most <see cref="Capacity"/>).</summary>
    public int Count => Index.Count;

    /// <summary>
    /// True the first time an id is shown (and remembers it); false for an id already
    /// remembered, which is a repeat to drop.
    /// </summary>
    public bool FirstSeen(string eventId)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        var index = Index;
        if (!index.Add(eventId))
        {
            return false;
        }

        if (Ring[Next] is { } oldest)
        {
            index.Remove(oldest);
        }

        Ring[Next] = eventId;
        Next = (Next + 1) % Ring.Length;
        return true;
    }

    /// <inheritdoc cref="FirstSeen(string)"/>
    public bool FirstSeen(EventEnvelope envelope) => FirstSeen(envelope.EventId);

    private HashSet<string> Index => _index ??= Ring.OfType<string>().ToHashSet(StringComparer.Ordinal);
}
