namespace Baton.Grains.Feed;

/// <summary>The event log behind the change feed (configuration <c>Baton:EventLog:*</c>).</summary>
public sealed class EventLogOptions
{
    /// <summary>How long a logged event stays readable; a cursor older than that gets "expired, re-list".</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often each silo evicts events older than <see cref="Retention"/>.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Dev mode only: the in-memory log keeps at most this many events, evicting the oldest beyond it.</summary>
    public int MemoryCapacity { get; set; } = 100_000;
}
