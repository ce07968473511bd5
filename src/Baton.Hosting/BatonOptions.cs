using System.ComponentModel.DataAnnotations;
using Baton.Grains.Feed;

namespace Baton.Hosting;

/// <summary>
/// Every setting of a Baton silo, bound from the <c>Baton</c> configuration section
/// (environment: <c>Baton__*</c>). The HTTP address follows ASP.NET Core's own <c>--urls</c>.
/// </summary>
public sealed class BatonOptions
{
    public const string Section = "Baton";

    /// <summary>PostgreSQL connection string. Absent means dev mode (everything in memory).</summary>
    public string? Postgres { get; set; }

    [Required, RegularExpression(@"^[A-Za-z0-9._-]{1,100}$", ErrorMessage = "Baton:ClusterId must be 1-100 letters, digits, '.', '_' or '-'.")]
    public string ClusterId { get; set; } = "baton";

    [Required, RegularExpression(@"^[A-Za-z0-9._-]{1,100}$", ErrorMessage = "Baton:ServiceId must be 1-100 letters, digits, '.', '_' or '-'.")]
    public string ServiceId { get; set; } = "baton";

    [Range(1, 65535, ErrorMessage = "Baton:SiloPort must be between 1 and 65535.")]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535, ErrorMessage = "Baton:GatewayPort must be between 1 and 65535.")]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP address or host name other silos and clients use to reach this silo.
    /// Unset: 127.0.0.1 in dev mode, this machine's host name in Postgres mode.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Gateways a client connects to, as <c>host:port</c> (dev mode clients; Postgres-mode
    /// clients discover gateways from the membership table).</summary>
    public List<string> Gateways { get; set; } = [];

    /// <summary>Keys accepted by the HTTP API as <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>The event log behind the change feed: retention and sweeping (<c>Baton:EventLog:*</c>).</summary>
    public EventLogOptions EventLog { get; set; } = new();

    /// <summary>Postgres mode's stream queues: count, lease, attempts, polling (<c>Baton:Streams:*</c>; the connection string is <c>Baton:Postgres</c>).</summary>
    public Baton.Postgres.Streams.PostgresStreamOptions Streams { get; set; } = new();

    /// <summary>Locks: how deadlocks are broken and how long idle locks stay in memory (<c>Baton:Locks:*</c>).</summary>
    public LockSettings Locks { get; set; } = new();

    /// <summary>The Orleans Dashboard at <c>/dashboard</c>: how often it samples the silo's counters (<c>Baton:Dashboard:*</c>).</summary>
    public DashboardSettings Dashboard { get; set; } = new();

    public bool IsPostgres => !string.IsNullOrWhiteSpace(Postgres);

    public string Mode => IsPostgres ? "postgres" : "dev";
}

public sealed class ApiKeyOptions
{
    public string Key { get; set; } = "";

    public string Principal { get; set; } = "";

    public List<string> Roles { get; set; } = [];

    public override string ToString() => $"ApiKey({Principal}, key hidden)";
}

public static class BatonRoles
{
    public const string Agent = "agent";
    public const string Reviewer = "reviewer";
    public const string Admin = "admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Agent, Reviewer, Admin };
}

/// <summary>The lock settings an operator may change (<c>Baton:Locks:*</c>); the silo applies them to <see cref="Baton.Grains.Locks.LockGrainOptions"/>.</summary>
public sealed class LockSettings
{
    private static readonly Baton.Grains.Locks.LockGrainOptions Defaults = new();

    /// <summary>Which wait of a deadlock cycle is ended: <c>YoungestWait</c> (default) or <c>LowestPriority</c>.</summary>
    public Baton.Grains.Locks.DeadlockVictimPolicy DeadlockVictim { get; set; } = Defaults.VictimPolicy;

    /// <summary>How long a lock with no holders and no waiters stays in memory after its last command; <c>-00:00:00.001</c> (infinite) leaves it to Orleans' collection.</summary>
    public TimeSpan IdleDeactivation { get; set; } = Defaults.IdleDeactivation;

    /// <summary>How many broken deadlocks <c>GET /api/v1/locks/deadlocks</c> lists.</summary>
    public int RecentDeadlocks { get; set; } = Defaults.RecentDeadlocks;
}

/// <summary>The Orleans Dashboard's settings an operator may change (<c>Baton:Dashboard:*</c>).</summary>
public sealed class DashboardSettings
{
    /// <summary>
    /// How often the dashboard samples the silo's counters (1 s to 1 h; default 5 s; Orleans' own default is 1 s).
    /// Each sample observes every Orleans gauge, and Orleans counts its grain directory cache by walking it, so a
    /// sample costs time in proportion to the grains the silo addressed lately: about 12 ms of CPU per sample in the
    /// lock benchmark, whose keys come from 100,000.
    /// </summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);
}
