using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Client;
using Baton.Contracts.Locks;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton lock …</c>: take, extend, release and look at locks. The CLI talks to the cluster as a trusted .NET client
/// (like every <c>baton</c> command): <c>--owner</c> is who the lease is for, and <c>--force</c> records it as the admin.
/// A lease taken here is not heartbeated after the command ends: extend it with <c>baton lock heartbeat</c>.
/// </summary>
public static class LockCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Create(CliContext cli)
    {
        var command = new Command("lock", "Take, extend, release and look at locks.");
        command.Subcommands.Add(Acquire(cli));
        command.Subcommands.Add(Heartbeat(cli));
        command.Subcommands.Add(Release(cli));
        command.Subcommands.Add(Show(cli));
        command.Subcommands.Add(List(cli));
        return command;
    }

    private static Command Acquire(CliContext cli)
    {
        var key = new Argument<string>("KEY") { Description = "The resource key, type:id (e.g. repo:acme/web)." };
        var owner = OwnerOption("Who the lease is for.");
        var shared = new Option<bool>("--shared") { Description = "Take a shared lease (default: exclusive)." };
        var ttl = DurationOption("--ttl", "Lease time to live without a heartbeat, 5s–300s.", TimeSpan.FromSeconds(30));
        var wait = DurationOption("--wait", "How long to wait in the queue when the lock is held (default: do not wait).", TimeSpan.Zero);
        var priority = new Option<int>("--priority") { Description = "0–100, higher is served first.", HelpName = "N" };
        var purpose = new Option<string>("--purpose") { Description = "Why the lock is wanted, shown to people reading the queue." };
        var requestId = new Option<string>("--request-id") { Description = "Makes a retry idempotent: the same id returns the same outcome." };
        var json = JsonOption();
        var command = new Command("acquire", "Ask for a lock; prints the lease (lease id, fencing token, expiry). Exits 1 when it was not granted.")
        {
            key, owner, shared, ttl, wait, priority, purpose, requestId, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var lockKey = parse.GetValue(key)!;
            var request = new AcquireRequest
            {
                Owner = parse.GetValue(owner)!,
                Mode = parse.GetValue(shared) ? LockMode.Shared : LockMode.Exclusive,
                Ttl = parse.GetValue(ttl),
                MaxWait = parse.GetValue(wait),
                Priority = parse.GetValue(priority),
                Purpose = parse.GetValue(purpose),
                RequestId = parse.GetValue(requestId) ?? Guid.NewGuid().ToString("N"),
            };
            return await RunAsync(cli, parse, ct, async client =>
            {
                var outcome = await client.Locks.RequestAsync(lockKey, request, ct);
                if (parse.GetValue(json))
                {
                    WriteJson(cli, outcome);
                }
                else if (outcome.Lease is { } lease)
                {
                    cli.Console.WriteLine($"Acquired {lease.Key} ({Mode(lease.Mode)}) for {lease.Owner}");
                    WriteLease(cli.Console, lease);
                }

                if (outcome.Outcome == LockOutcome.Acquired)
                {
                    return ExitCodes.Ok;
                }

                return Failed(cli, outcome.Outcome switch
                {
                    LockOutcome.Queued => $"request {outcome.RequestId} is still queued at position {outcome.QueuePosition} on {lockKey}",
                    _ => $"lock {lockKey} was not acquired ({Snake(outcome.Outcome)}): {outcome.Detail}",
                });
            });
        });
        return command;
    }

    private static Command Heartbeat(CliContext cli)
    {
        var leaseId = new Argument<string>("LEASE_ID") { Description = "The lease id printed by 'baton lock acquire'." };
        var owner = OwnerOption("The lease's holder.");
        var ttl = DurationOption("--ttl", "New time to live from now, 5s–300s.", TimeSpan.FromSeconds(30));
        var json = JsonOption();
        var command = new Command("heartbeat", "Extend a lease to now + TTL; prints the new expiry.") { leaseId, owner, ttl, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var result = await client.Locks.HeartbeatAsync(parse.GetValue(leaseId)!, parse.GetValue(owner)!, parse.GetValue(ttl), ct);
            if (parse.GetValue(json))
            {
                WriteJson(cli, result);
            }
            else
            {
                cli.Console.WriteLine($"Lease {result.LeaseId} (fencing token {result.FencingToken}) now expires at {Time(result.ExpiresAt)}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Release(CliContext cli)
    {
        var leaseId = new Argument<string>("LEASE_ID") { Description = "The lease id printed by 'baton lock acquire'." };
        var owner = OwnerOption("The lease's holder; with --force, the admin recorded as releasing it.");
        var force = new Option<bool>("--force") { Description = "Release another owner's lease (admins; needs --reason)." };
        var reason = new Option<string>("--reason") { Description = "Why, recorded with the release." };
        var json = JsonOption();
        var command = new Command("release", "Release a lease; releasing it again is a no-op.") { leaseId, owner, force, reason, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var id = parse.GetValue(leaseId)!;
            var forced = parse.GetValue(force);
            if (forced)
            {
                await client.Locks.ForceReleaseAsync(id, parse.GetValue(owner)!, parse.GetValue(reason) ?? "", ct);
            }
            else
            {
                await client.Locks.ReleaseAsync(id, parse.GetValue(owner)!, parse.GetValue(reason), ct);
            }

            if (parse.GetValue(json))
            {
                WriteJson(cli, new ReleasedDocument(id, forced));
            }
            else
            {
                cli.Console.WriteLine($"{(forced ? "Force-released" : "Released")} {id}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Show(CliContext cli)
    {
        var key = new Argument<string>("KEY") { Description = "The resource key, type:id." };
        var json = JsonOption();
        var command = new Command("show", "A lock's holders, its wait queue in grant order and recently ended leases.") { key, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var description = await client.Locks.DescribeAsync(parse.GetValue(key)!, ct);
            if (parse.GetValue(json))
            {
                WriteJson(cli, description);
                return ExitCodes.Ok;
            }

            cli.Console.WriteLine($"{description.Key}: last fencing token {description.LastFencingToken}");
            if (description.Holders.Count == 0)
            {
                cli.Console.WriteLine("Not held.");
            }
            else
            {
                var holders = new Table().Border(TableBorder.Rounded).AddColumns("Owner", "Mode", "Token", "Expires (UTC)", "Lease id", "Purpose");
                foreach (var h in description.Holders)
                {
                    holders.AddRow(Cells(h.Lease.Owner, Mode(h.Lease.Mode), h.Lease.FencingToken.ToString(CultureInfo.InvariantCulture),
                        Time(h.Lease.ExpiresAt), h.Lease.LeaseId, h.Purpose ?? ""));
                }

                cli.Console.Write(holders);
            }

            if (description.Queue.Count > 0)
            {
                var queue = new Table().Border(TableBorder.Rounded).AddColumns("#", "Owner", "Mode", "Priority", "Waiting since (UTC)", "Gives up (UTC)", "Request id");
                foreach (var q in description.Queue)
                {
                    queue.AddRow(Cells(q.Position.ToString(CultureInfo.InvariantCulture), q.Owner, Mode(q.Mode), q.Priority.ToString(CultureInfo.InvariantCulture),
                        Time(q.EnqueuedAt), Time(q.Deadline), q.RequestId));
                }

                cli.Console.Write(queue);
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var owner = OwnerOption("Whose locks to list.");
        var prefix = new Option<string>("--key-prefix") { Description = "Only keys that start with this." };
        var json = JsonOption();
        var command = new Command("list", "The locks an owner holds and waits for (from the owner index, which trails the locks by moments).") { owner, prefix, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var locks = await client.Locks.ListAsync(parse.GetValue(owner)!, ct);
            var keyPrefix = parse.GetValue(prefix) ?? "";
            locks = locks with
            {
                Held = locks.Held.Where(l => l.Key.StartsWith(keyPrefix, StringComparison.Ordinal)).ToList(),
                Waiting = locks.Waiting.Where(w => w.Key.StartsWith(keyPrefix, StringComparison.Ordinal)).ToList(),
            };
            if (parse.GetValue(json))
            {
                WriteJson(cli, locks);
                return ExitCodes.Ok;
            }

            if (locks.Held.Count == 0 && locks.Waiting.Count == 0)
            {
                cli.Console.WriteLine($"{locks.Owner} holds and waits for no locks.");
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Key", "State", "Mode", "Token", "Until (UTC)", "Lease or request id");
            foreach (var l in locks.Held)
            {
                table.AddRow(Cells(l.Key, "held", Mode(l.Mode), l.FencingToken.ToString(CultureInfo.InvariantCulture), Time(l.ExpiresAt), l.LeaseId));
            }

            foreach (var w in locks.Waiting)
            {
                table.AddRow(Cells(w.Key, "waiting", Mode(w.Mode), "", Time(w.Deadline), w.RequestId));
            }

            cli.Console.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Connects, runs, and turns the locks' typed refusals into one line and an exit code.</summary>
    private static async Task<int> RunAsync(CliContext cli, ParseResult parse, CancellationToken ct, Func<BatonClient, Task<int>> run)
    {
        await using var client = await cli.ConnectAsync(parse, ct);
        try
        {
            return await run(client);
        }
        catch (LockRequestException ex)
        {
            throw new UsageException($"{OptionName(ex.Field)}: {ex.Rule}");
        }
        catch (Exception ex) when (ex is LeaseNotFoundException or NotLockHolderException)
        {
            return Failed(cli, ex.Message);
        }
    }

    private static int Failed(CliContext cli, string message)
    {
        cli.Error.WriteLine($"baton: {message}");
        cli.Error.Flush();
        return ExitCodes.Failed;
    }

    /// <summary>The option a lock request's field came from.</summary>
    private static string OptionName(string field) => field switch
    {
        "Key" => "KEY",
        "LeaseId" => "LEASE_ID",
        "Ttl" => "--ttl",
        "MaxWait" => "--wait",
        "Admin" => "--owner",
        _ => "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(field),
    };

    private static Option<string> OwnerOption(string description) =>
        new("--owner") { Description = description, Required = true, HelpName = "ID" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print a JSON document instead of text." };

    private static Option<TimeSpan> DurationOption(string name, string description, TimeSpan fallback) => new(name)
    {
        Description = $"{description} Like 30s, 2m, 1500ms or 1h; a bare number is seconds.",
        HelpName = "duration",
        DefaultValueFactory = _ => fallback,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
            if (Durations.TryParse(text, out var value))
            {
                return value;
            }

            result.AddError($"{name}: '{text}' is not a duration (expected e.g. 30s, 2m, 1500ms, 1h).");
            return default;
        },
    };

    private static void WriteLease(IAnsiConsole console, LockLease lease)
    {
        console.WriteLine($"  lease id       {lease.LeaseId}");
        console.WriteLine($"  fencing token  {lease.FencingToken}");
        console.WriteLine($"  expires at     {Time(lease.ExpiresAt)} UTC");
    }

    private static void WriteJson<T>(CliContext cli, T document)
    {
        cli.Out.WriteLine(JsonSerializer.Serialize(document, Json));
        cli.Out.Flush();
    }

    private static Text[] Cells(params string[] values) => values.Select(v => new Text(v)).ToArray();

    private static string Mode(LockMode mode) => mode == LockMode.Shared ? "shared" : "exclusive";

    private static string Snake(LockOutcome outcome) => JsonNamingPolicy.SnakeCaseLower.ConvertName(outcome.ToString());

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private sealed record ReleasedDocument(string LeaseId, bool Forced);
}

/// <summary>Durations as people type them: <c>30s</c>, <c>2m</c>, <c>1500ms</c>, <c>1h</c>, or a bare number of seconds.</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim().ToLowerInvariant();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || !double.IsFinite(amount))
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * unit);
        return true;
    }
}
