using Baton.Contracts;

namespace Baton.Grains.Events;

/// <summary>
/// The highest <see cref="EventEnvelope.Sequence"/> a consumer accepted per subject, to check
/// per-subject order: an event at or below its subject's watermark is a repeat or arrived out of
/// order. One entry per subject, kept for good; serializable for a consumer's persisted state.
/// </summary>
/// <remarks>The public property is the storage shape; use <see cref="Advance"/>.</remarks>
[GenerateSerializer, Alias("baton.events.watermarks")]
public sealed class SequenceWatermarks
{
    [Id(0)]
    public Dictionary<string, long> Last { get; set; } = [];

    /// <summary>The highest sequence accepted for <paramref name="subject"/>, 0 when none was.</summary>
    public long LastSeen(string subject) => Last.TryGetValue(subject, out var sequence) ? sequence : 0;

    /// <summary>
    /// True, and raises the watermark, when <paramref name="sequence"/> is above the subject's
    /// watermark (gaps allowed); false, changing nothing, when it is not.
    /// </summary>
    public bool Advance(string subject, long sequence)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        if (sequence <= LastSeen(subject))
        {
            return false;
        }

        Last[subject] = sequence;
        return true;
    }

    /// <inheritdoc cref="Advance(string, long)"/>
    public bool Advance(EventEnvelope envelope) => Advance(envelope.Subject, envelope.Sequence);
}
