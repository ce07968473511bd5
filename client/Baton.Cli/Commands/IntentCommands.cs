using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Client;
using Baton.Contracts.Intents;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton intent propose|show|list|cancel|revise</c>, <c>baton approve</c> and <c>baton reject</c>. The CLI talks to the
/// cluster as a trusted .NET client, so the principal is passed explicitly: <c>--requested-by</c> for a proposal,
/// <c>--actor</c> for a cancel or revision, <c>--reviewer</c> for a review or "needs my approval". Over HTTP these are
/// always the caller.
/// </summary>
public static class IntentCommands
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static IEnumerable<Command> Create(CliContext cli)
    {
        var intent = new Command("intent", "Propose write intents and look at, cancel or revise them.");
        intent.Subcommands.Add(Propose(cli));
        intent.Subcommands.Add(Show(cli));
        intent.Subcommands.Add(List(cli));
        intent.Subcommands.Add(Cancel(cli));
        intent.Subcommands.Add(Revise(cli));
        yield return intent;
        yield return Review(cli, "approve", ReviewDecision.Approve, "Approve an intent as --reviewer.");
        yield return Review(cli, "reject", ReviewDecision.Reject, "Reject an intent as --reviewer (needs --reason).");
    }

    private static Command Propose(CliContext cli)
    {
        var iface = new Option<string>("--interface") { Description = "The executor: http, entity, …", Required = true, HelpName = "KEY" };
        var operation = new Option<string>("--operation") { Description = "The verb, lower case (create, delete, …).", Required = true, HelpName = "OP" };
        var resource = new Option<string>("--resource") { Description = "What is written, type:id (e.g. repo:acme/web).", Required = true, HelpName = "REF" };
        var data = new Option<string>("--data") { Description = "The executor's payload as JSON text.", Required = true, HelpName = "JSON" };
        var requestedBy = new Option<string>("--requested-by") { Description = "Who proposes the write.", Required = true, HelpName = "ID" };
        var description = new Option<string>("--description") { Description = "What the write is for, shown to reviewers." };
        var key = new Option<string>("--idempotency-key") { Description = "Your own key (default: derived from interface, operation, resource and payload)." };
        var json = JsonOption();
        var command = new Command("propose", "Propose a write; prints the intent id, its phase and risk. Proposing the same write again returns the same intent.")
        {
            iface, operation, resource, data, requestedBy, description, key, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var request = new ProposeRequest
            {
                InterfaceKey = parse.GetValue(iface)!,
                Operation = parse.GetValue(operation)!,
                ResourceRef = parse.GetValue(resource)!,
                Payload = parse.GetValue(data)!,
                RequestedBy = parse.GetValue(requestedBy)!,
                Description = parse.GetValue(description),
                IdempotencyKey = parse.GetValue(key),
            };
            return await RunAsync(cli, parse, ct, async client =>
            {
                var id = request.IdempotencyKey ?? IdempotencyKey.For(request.InterfaceKey, request.Operation, request.ResourceRef, request.Payload);
                var result = await client.Grains.GetGrain<IWriteIntentGrain>(id).Propose(request);
                if (parse.GetValue(json))
                {
                    WriteJson(cli, new { created = result.Created, intent = result.Intent });
                }
                else
                {
                    cli.Console.WriteLine($"{(result.Created ? "Proposed" : "Already proposed")} intent {id}");
                    WriteSummary(cli, result.Intent);
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command Show(CliContext cli)
    {
        var id = IdArgument();
        var json = JsonOption();
        var command = new Command("show", "An intent: its write, phase, risk, approvals and attempts.") { id, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var view = await client.Grains.GetGrain<IWriteIntentGrain>(parse.GetValue(id)!).Get();
            if (parse.GetValue(json))
            {
                WriteJson(cli, view);
                return ExitCodes.Ok;
            }

            cli.Console.WriteLine($"Intent {view.Intent.Id}");
            WriteSummary(cli, view);
            foreach (var vote in view.Approvals)
            {
                cli.Console.WriteLine($"  {Snake(vote.Decision)} by {vote.CastBy} (seat {vote.Reviewer}, revision {vote.Revision}){(vote.Reason is null ? "" : $": {vote.Reason}")}");
            }

            foreach (var attempt in view.Attempts)
            {
                cli.Console.WriteLine($"  attempt {attempt.Number}: {(attempt.Outcome is { } o ? Snake(o) : "in flight")}{(attempt.Detail is null ? "" : $" ({attempt.Detail})")}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command List(CliContext cli)
    {
        var phase = new Option<string>("--phase") { Description = $"Only intents in this phase: {string.Join(", ", IntentPhases.WireNames)}.", HelpName = "PHASE" };
        var requestedBy = new Option<string>("--requested-by") { Description = "Only intents proposed by this principal.", HelpName = "ID" };
        var needsMyApproval = new Option<bool>("--needs-my-approval") { Description = "List what waits for --reviewer's vote instead (oldest first)." };
        var reviewer = new Option<string>("--reviewer") { Description = "Whose approvals --needs-my-approval lists.", HelpName = "ID" };
        var page = new Option<int>("--page") { Description = "The page, from 1.", DefaultValueFactory = _ => 1, HelpName = "N" };
        var limit = new Option<int>("--limit") { Description = $"Intents per page, 1–{IntentIndexing.MaxLimit}.", DefaultValueFactory = _ => IntentIndexing.DefaultLimit, HelpName = "N" };
        var json = JsonOption();
        var command = new Command("list", "List intents by phase and requester, newest first, or (--needs-my-approval) those waiting for a reviewer.")
        {
            phase, requestedBy, needsMyApproval, reviewer, page, limit, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            IntentPhase? wanted = null;
            if (parse.GetValue(phase) is { } text)
            {
                wanted = IntentPhases.TryParseWire(text, out var parsed)
                    ? parsed
                    : throw new UsageException($"--phase: must be one of {string.Join(", ", IntentPhases.WireNames)} (got '{text}')");
            }

            var who = parse.GetValue(reviewer);
            if (parse.GetValue(needsMyApproval))
            {
                if (string.IsNullOrWhiteSpace(who))
                {
                    throw new UsageException("--needs-my-approval needs --reviewer: the CLI acts for whoever it is told to.");
                }

                if (wanted is { } other && other != IntentPhase.PendingApproval)
                {
                    throw new UsageException($"--phase: --needs-my-approval lists pending_approval intents only (got '{other.Wire()}')");
                }
            }
            else if (who is not null)
            {
                throw new UsageException("--reviewer is only used with --needs-my-approval.");
            }

            return await RunAsync(cli, parse, ct, async client =>
            {
                var query = client.Grains.GetGrain<IIntentQueryGrain>(0);
                if (parse.GetValue(needsMyApproval))
                {
                    var queue = await query.NeedsApproval(who!, parse.GetValue(requestedBy), parse.GetValue(page), parse.GetValue(limit));
                    if (parse.GetValue(json))
                    {
                        WriteJson(cli, queue);
                        return ExitCodes.Ok;
                    }

                    cli.Console.WriteLine($"{queue.Total} intent(s) wait for {queue.Reviewer}; page {queue.Page}:");
                    foreach (var item in queue.Items)
                    {
                        var a = item.Approval;
                        cli.Console.WriteLine($"  {a.IntentId}  {a.Operation} {a.ResourceRef}  by {a.RequestedBy}  risk {a.RiskScore} ({Snake(a.RiskLevel)})" +
                            $"{(a.OnBehalfOf is null ? "" : $"  for {a.OnBehalfOf}")}{(item.OpenToAnyone ? "  (open to anyone)" : "")}");
                    }

                    return ExitCodes.Ok;
                }

                var result = await query.List(new IntentQuery { Phase = wanted, RequestedBy = parse.GetValue(requestedBy), Page = parse.GetValue(page), Limit = parse.GetValue(limit) });
                if (parse.GetValue(json))
                {
                    WriteJson(cli, new
                    {
                        phase = wanted?.Wire(),
                        requested_by = parse.GetValue(requestedBy),
                        page = result.Page,
                        limit = result.Limit,
                        total = result.Total,
                        items = result.Items.Select(i => new
                        {
                            id = i.IntentId,
                            phase = i.Phase.Wire(),
                            requested_by = i.RequestedBy,
                            interface_key = i.InterfaceKey,
                            operation = i.Operation,
                            resource_ref = i.ResourceRef,
                            risk_level = Snake(i.RiskLevel),
                            risk_score = i.RiskScore,
                            revision = i.Revision,
                            proposed_at = i.ProposedAt,
                            updated_at = i.UpdatedAt,
                        }),
                    });
                    return ExitCodes.Ok;
                }

                cli.Console.WriteLine($"{result.Total} intent(s); page {result.Page}:");
                foreach (var i in result.Items)
                {
                    cli.Console.WriteLine($"  {i.IntentId}  {i.Phase.Wire()}  {i.InterfaceKey} {i.Operation} {i.ResourceRef}  by {i.RequestedBy}  risk {i.RiskScore} ({Snake(i.RiskLevel)})");
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command Cancel(CliContext cli)
    {
        var id = IdArgument();
        var actor = new Option<string>("--actor") { Description = "Who cancels: the requester.", Required = true, HelpName = "ID" };
        var reason = new Option<string>("--reason") { Description = "Why, recorded with the cancellation." };
        var json = JsonOption();
        var command = new Command("cancel", "Cancel a pending or approved intent (the requester only).") { id, actor, reason, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var view = await client.Grains.GetGrain<IWriteIntentGrain>(parse.GetValue(id)!).Cancel(parse.GetValue(actor)!, parse.GetValue(reason));
            return Written(cli, parse.GetValue(json), view, "Cancelled");
        }));
        return command;
    }

    private static Command Revise(CliContext cli)
    {
        var id = IdArgument();
        var data = new Option<string>("--data") { Description = "The revised payload as JSON text.", Required = true, HelpName = "JSON" };
        var actor = new Option<string>("--actor") { Description = "Who revises: the requester.", Required = true, HelpName = "ID" };
        var reason = new Option<string>("--reason") { Description = "What changed, for the reviewers." };
        var json = JsonOption();
        var command = new Command("revise", "Revise an intent in changes_requested; it is pending again and earlier approvals are void.") { id, data, actor, reason, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var view = await client.Grains.GetGrain<IWriteIntentGrain>(parse.GetValue(id)!).Revise(parse.GetValue(actor)!, new ReviseRequest
            {
                Payload = parse.GetValue(data)!,
                Reason = parse.GetValue(reason),
            });
            return Written(cli, parse.GetValue(json), view, "Revised");
        }));
        return command;
    }

    private static Command Review(CliContext cli, string name, ReviewDecision decision, string description)
    {
        var id = IdArgument();
        var reviewer = new Option<string>("--reviewer") { Description = "Who reviews.", Required = true, HelpName = "ID" };
        var reason = new Option<string>("--reason") { Description = decision == ReviewDecision.Reject ? "Why (required)." : "Why, recorded with the vote.", Required = decision == ReviewDecision.Reject };
        var json = JsonOption();
        var command = new Command(name, description) { id, reviewer, reason, json };
        command.SetAction(async (parse, ct) => await RunAsync(cli, parse, ct, async client =>
        {
            var result = await client.Grains.GetGrain<IWriteIntentGrain>(parse.GetValue(id)!).Review(parse.GetValue(reviewer)!, new ReviewAction
            {
                Decision = decision,
                Reason = parse.GetValue(reason),
            });
            if (parse.GetValue(json))
            {
                WriteJson(cli, result);
            }
            else
            {
                cli.Console.WriteLine($"{(decision == ReviewDecision.Approve ? "Approved" : "Rejected")} intent {result.IntentId} as {result.Record.CastBy}: " +
                    $"{result.ApprovalsCounted}/{result.ApprovalsNeeded} approvals, {result.Phase.Wire()}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int Written(CliContext cli, bool json, IntentView view, string verb)
    {
        if (json)
        {
            WriteJson(cli, view);
        }
        else
        {
            cli.Console.WriteLine($"{verb} intent {view.Intent.Id}");
            WriteSummary(cli, view);
        }

        return ExitCodes.Ok;
    }

    /// <summary>Connects, runs, and turns the intents' typed refusals into one line and an exit code.</summary>
    private static async Task<int> RunAsync(CliContext cli, ParseResult parse, CancellationToken ct, Func<BatonClient, Task<int>> run)
    {
        await using var client = await cli.ConnectAsync(parse, ct);
        try
        {
            return await run(client);
        }
        catch (IntentValidationException ex)
        {
            throw new UsageException($"{OptionName(ex.Field)}: {ex.Rule}");
        }
        catch (Exception ex) when (ex is IntentNotFoundException or IntentConflictException or IllegalTransitionException
            or ReviewRefusedException or IntentForbiddenException)
        {
            cli.Error.WriteLine($"baton: {ex.Message}");
            cli.Error.Flush();
            return ExitCodes.Failed;
        }
    }

    /// <summary>The option a proposal's or review's field came from.</summary>
    private static string OptionName(string field) => field switch
    {
        nameof(ProposeRequest.InterfaceKey) => "--interface",
        nameof(ProposeRequest.ResourceRef) => "--resource",
        nameof(ProposeRequest.Payload) => "--data",
        _ => "--" + JsonNamingPolicy.KebabCaseLower.ConvertName(field),
    };

    private static void WriteSummary(CliContext cli, IntentView view)
    {
        var i = view.Intent;
        cli.Console.WriteLine($"  {i.InterfaceKey} {i.Operation} {i.ResourceRef}, requested by {i.RequestedBy}");
        cli.Console.WriteLine($"  phase      {view.Phase.Wire()}");
        cli.Console.WriteLine($"  risk       {view.Risk.Score} ({Snake(view.Risk.Level)})");
        cli.Console.WriteLine($"  approvals  {view.ApprovalsCounted}/{view.Requirement.ApprovalsNeeded}{(view.Requirement.AutoApproved ? " (auto-approved)" : "")}");
    }

    private static Argument<string> IdArgument() => new("ID") { Description = "The intent id (its idempotency key)." };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print a JSON document instead of text." };

    private static string Snake<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static void WriteJson<T>(CliContext cli, T document)
    {
        cli.Out.WriteLine(JsonSerializer.Serialize(document, Json));
        cli.Out.Flush();
    }
}
