namespace Baton.Postgres.Streams;

/// <summary>
/// How Baton's PostgreSQL stream queue partitions, leases, retries and keeps events. Silos and
/// clients of one service must agree on <see cref="Queues"/>: it decides which queue a stream's
/// events are written to.
/// </summary>
public sealed class PostgresStreamOptions
{
    /// <summary>The database that holds the queues; set from <c>Baton:Postgres</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How many queues the streams are spread over; each is read by one pulling agent at a time.</summary>
    public int Queues { get; set; } = 8;

    /// <summary>
    /// How many times a reader hands an event out. An event whose delivery failed this often goes to the
    /// dead-letter table with the reason, and the queue moves on.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// How long a reader holds its queue without renewing. The reader renews every third of it while it lives;
    /// when its silo dies, the queue's next reader starts (from the cursor) after at most this long.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Dead letters older than this are deleted. (Events themselves live as long as the event log keeps them: <c>Baton:EventLog:Retention</c>.)</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most events one read takes from a queue.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>
    /// How often a pulling agent looks for new events in its queue when the last look found none
    /// (while it finds events it reads on at once). Half of it is the mean wait of an event published
    /// into an idle queue; an empty look is one cheap read-only statement per queue.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>How long an event whose delivery failed waits before it is handed out again.</summary>
    public TimeSpan RedeliveryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often, at most, a reader writes its queue's cursor while events are being delivered. Delivery moves the
    /// cursor in memory at once; the write follows with the next delivery after this much time, or with the lease
    /// renewal loop (every sixth of <see cref="Lease"/>) when deliveries stop, and on shutdown. A reader that dies
    /// leaves the cursor up to about this much behind, and the next reader hands those events out again (delivery
    /// is at least once either way). Zero writes the cursor after every delivery: one UPDATE per batch read.
    /// </summary>
    public TimeSpan CursorInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each reader deletes the dead letters of its queue that outlived <see cref="Retention"/>.</summary>
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The problems with these options, empty when there are none.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            problems.Add("The PostgreSQL stream queue needs a connection string (Baton:Postgres).");
        }

        if (Queues is < 1 or > 1024)
        {
            problems.Add($"Baton:Streams:Queues must be between 1 and 1024 (was {Queues}).");
        }

        if (MaxAttempts < 1)
        {
            problems.Add($"Baton:Streams:MaxAttempts must be at least 1 (was {MaxAttempts}).");
        }

        if (Lease < TimeSpan.FromSeconds(1))
        {
            problems.Add($"Baton:Streams:Lease must be at least 1 second (was {Lease}).");
        }

        if (Retention < TimeSpan.FromMinutes(1))
        {
            problems.Add($"Baton:Streams:Retention must be at least 1 minute (was {Retention}).");
        }

        if (Retention <= Lease)
        {
            problems.Add($"Baton:Streams:Retention ({Retention}) must be longer than Baton:Streams:Lease ({Lease}).");
        }

        if (BatchSize is < 1 or > 10_000)
        {
            problems.Add($"Baton:Streams:BatchSize must be between 1 and 10000 (was {BatchSize}).");
        }

        if (PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromMinutes(1))
        {
            problems.Add($"Baton:Streams:PollInterval must be above zero and at most 1 minute (was {PollInterval}).");
        }

        if (RedeliveryDelay < TimeSpan.Zero)
        {
            problems.Add($"Baton:Streams:RedeliveryDelay must not be negative (was {RedeliveryDelay}).");
        }

        if (CursorInterval < TimeSpan.Zero || CursorInterval >= Lease)
        {
            problems.Add($"Baton:Streams:CursorInterval must be at least zero and shorter than Baton:Streams:Lease ({Lease}) (was {CursorInterval}).");
        }

        if (RetentionSweepInterval <= TimeSpan.Zero)
        {
            problems.Add($"Baton:Streams:RetentionSweepInterval must be above zero (was {RetentionSweepInterval}).");
        }

        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, if there is any.</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
    }
}
