using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Baton.Client;
using Npgsql;

namespace Baton.Hosting;

/// <summary>
/// Checks <see cref="BatonOptions"/> beyond its annotations. Messages name the setting
/// (<c>Baton:…</c>) and never echo a secret value.
/// </summary>
public sealed class BatonOptionsValidator : IValidateOptions<BatonOptions>
{
    public const int MinimumKeyLength = 16;

    public ValidateOptionsResult Validate(string? name, BatonOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static List<string> Check(BatonOptions options)
    {
        var failures = new List<string>();
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        failures.AddRange(results.Select(r => r.ErrorMessage ?? $"Baton:{string.Join(",", r.MemberNames)} is invalid."));

        if (options.IsPostgres)
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(options.Postgres);
                if (string.IsNullOrWhiteSpace(builder.Host))
                {
                    failures.Add("Baton:Postgres: the connection string names no Host.");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
            {
                failures.Add($"Baton:Postgres: not a valid PostgreSQL connection string ({ex.Message}).");
            }
        }

        if (options.EventLog.Retention <= TimeSpan.Zero)
        {
            failures.Add($"Baton:EventLog:Retention must be positive (was {options.EventLog.Retention}).");
        }

        if (options.EventLog.SweepInterval <= TimeSpan.Zero)
        {
            failures.Add($"Baton:EventLog:SweepInterval must be positive (was {options.EventLog.SweepInterval}).");
        }

        if (options.EventLog.MemoryCapacity < 1)
        {
            failures.Add($"Baton:EventLog:MemoryCapacity must be at least 1 (was {options.EventLog.MemoryCapacity}).");
        }

        if (options.Locks.IdleDeactivation <= TimeSpan.Zero && options.Locks.IdleDeactivation != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"Baton:Locks:IdleDeactivation must be positive, or -00:00:00.001 to keep idle locks until Orleans collects them (was {options.Locks.IdleDeactivation}).");
        }

        if (options.Locks.RecentDeadlocks is < 1 or > 10_000)
        {
            failures.Add($"Baton:Locks:RecentDeadlocks must be between 1 and 10000 (was {options.Locks.RecentDeadlocks}).");
        }

        if (!Enum.IsDefined(options.Locks.DeadlockVictim))
        {
            failures.Add($"Baton:Locks:DeadlockVictim must be YoungestWait or LowestPriority (was {options.Locks.DeadlockVictim}).");
        }

        if (options.Dashboard.SampleInterval < TimeSpan.FromSeconds(1) || options.Dashboard.SampleInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"Baton:Dashboard:SampleInterval must be between 00:00:01 and 01:00:00 (was {options.Dashboard.SampleInterval}).");
        }

        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"Baton:SiloPort and Baton:GatewayPort must differ (both are {options.SiloPort}).");
        }

        if (options.AdvertisedAddress is { } advertised && Uri.CheckHostName(advertised) == UriHostNameType.Unknown)
        {
            failures.Add($"Baton:AdvertisedAddress: '{advertised}' is neither an IP address nor a host name.");
        }

        for (var i = 0; i < options.Gateways.Count; i++)
        {
            if (!GatewayAddress.TryParse(options.Gateways[i], out _, out var error))
            {
                failures.Add($"Baton:Gateways:{i}: {error}");
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (string.IsNullOrEmpty(key.Key) || key.Key.Length < MinimumKeyLength)
            {
                failures.Add($"Baton:ApiKeys:{i}:Key must be at least {MinimumKeyLength} characters.");
            }
            else if (!seen.Add(key.Key))
            {
                failures.Add($"Baton:ApiKeys:{i}:Key is the same key as an earlier entry.");
            }

            if (string.IsNullOrWhiteSpace(key.Principal))
            {
                failures.Add($"Baton:ApiKeys:{i}:Principal is required.");
            }

            if (key.Roles.Count == 0)
            {
                failures.Add($"Baton:ApiKeys:{i}:Roles must name at least one of agent, reviewer, admin.");
            }

            foreach (var role in key.Roles.Where(r => !BatonRoles.All.Contains(r)))
            {
                failures.Add($"Baton:ApiKeys:{i}:Roles: '{role}' is not a role (agent, reviewer, admin).");
            }
        }

        return failures;
    }

    /// <summary>Binds the <c>Baton</c> section and validates it; throws <see cref="BatonStartupException"/> on failure.</summary>
    public static BatonOptions BindAndValidate(IConfiguration configuration)
    {
        var options = new BatonOptions();
        try
        {
            configuration.GetSection(BatonOptions.Section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new BatonStartupException($"Baton: configuration could not be read ({ex.InnerException?.Message ?? ex.Message}).");
        }

        var failures = Check(options);
        if (failures.Count > 0)
        {
            throw new BatonStartupException(string.Join(" ", failures));
        }

        return options;
    }
}
