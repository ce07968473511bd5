namespace Baton.Grains.Locks;

/// <summary>Tunables of <see cref="LockGrain"/> and <see cref="DeadlockDetectorGrain"/>; the defaults are production's.</summary>
public sealed class LockGrainOptions
{
    /// <summary>
    /// Period of the expiry backstop reminder a lock keeps while it has holders or waiters. It bounds how late
    /// expiry and hand-over happen after the silo hosting the lock died. Must not be below Orleans'
    /// <c>ReminderOptions.MinimumReminderPeriod</c> (1 minute by default). Used without wake-time storage only (dev
    /// mode); in Postgres mode the backstop is <see cref="Common.WakeSweeper"/> (<see cref="Common.WakeSweepOptions.Interval"/>).
    /// </summary>
    public TimeSpan ReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a lock with no holders, no waiters and no caller waiting on it stays active after its last command
    /// before it unregisters its expiry reminder and deactivates itself, so that under key churn (many keys, each
    /// used once) idle locks leave memory within seconds instead of Orleans' collection age (15 minutes) and no
    /// reminder tick re-activates them later just to unregister. A key used again within it keeps its activation
    /// and its reminder. Measured on a monotonic clock (not the locks' <see cref="LockServiceKeys.Clock"/>).
    /// Must be above zero: a zero grace would make every acquire-release cycle on a hot key pay a re-activation
    /// (a state read) and a reminder write and delete. <see cref="Timeout.InfiniteTimeSpan"/> turns it off and
    /// leaves idle locks to Orleans' activation collection; values above the collection age act like it.
    /// The default, 2 s, keeps a key in use (commands less than 2 s apart) in memory and lets locks on fresh keys go
    /// soon: under churn (16 clients locking random keys from 100k, the lock benchmark) a 10 s grace kept ~25k idle
    /// activations and their timers alive; 1-2 s gave more cycles per second in 5 of 6 paired runs and a lower p99 in
    /// all 6 (17.4-21.3 ms against 19.8-34.2 ms).
    /// </summary>
    public TimeSpan IdleDeactivation { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How a lock with waiters re-sends its waits to the deadlock detector even when they did not change (the detector keeps them in memory only).</summary>
    public TimeSpan WaitReportRefresh { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the deadlock detector looks for cycles while waits were reported.</summary>
    public TimeSpan DetectionInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Which wait of a cycle is ended.</summary>
    public DeadlockVictimPolicy VictimPolicy { get; set; } = DeadlockVictimPolicy.YoungestWait;

    /// <summary>How many broken deadlocks the detector lists.</summary>
    public int RecentDeadlocks { get; set; } = 50;

    /// <summary>Queue and aging rules of every lock.</summary>
    public LockTableOptions Table { get; set; } = LockTableOptions.Default;
}

/// <summary>Dependency-injection keys of the lock grains.</summary>
public static class LockServiceKeys
{
    /// <summary>
    /// The keyed <see cref="TimeProvider"/> locks and the deadlock detector read time from. Hosting resolves it to the
    /// silo's TimeProvider; tests register a FakeTimeProvider under this key to move lock time without moving the
    /// clocks Orleans itself runs on (membership, timers, messaging).
    /// </summary>
    public const string Clock = "baton.locks.clock";
}
