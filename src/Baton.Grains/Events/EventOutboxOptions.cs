namespace Baton.Grains.Events;

/// <summary>How <see cref="EventOutboxPublisher{TState}"/> retries events it could not publish.</summary>
public sealed class EventOutboxOptions
{
    /// <summary>
    /// Due time and period of the <c>baton-outbox</c> reminder that retries a failed publish. It
    /// must not be below Orleans' <c>ReminderOptions.MinimumReminderPeriod</c> (1 minute by default).
    /// </summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
