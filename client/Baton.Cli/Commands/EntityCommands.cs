using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Client.Feed;
using Baton.Contracts;
using Baton.Contracts.Entities;
using Spectre.Console;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton kind define</c> and <c>baton entity get|set|patch|delete|history|watch</c>: entities through the
/// Orleans client. Writes name their actor with <c>--actor</c> (the .NET client path has no authenticated
/// principal to take it from). Refusals (schema, version, undefined kind) exit with <see cref="ExitCodes.Failed"/>.
/// </summary>
public static class EntityCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static IEnumerable<Command> Create(CliContext cli) => [Kind(cli), Entity(cli)];

    private static Command Kind(CliContext cli)
    {
        var kind = new Command("kind", "Kinds of entities: their schema, secret fields and derivers.");
        var name = new Argument<string>("KIND") { Description = "The kind: lowercase letters, digits, '-' and '.'." };
        var schema = new Option<FileInfo>("--schema") { Description = "A file holding the JSON Schema of the state.", Required = true };
        var secret = new Option<string[]>("--secret") { Description = "A secret field (repeatable); its values are masked in history, events and logs.", AllowMultipleArgumentsPerToken = false };
        var json = JsonOption();
        var define = new Command("define", "Define or redefine a kind.") { name, schema, secret, json };
        define.SetAction(async (parse, ct) =>
        {
            var kindName = parse.GetValue(name)!;
            var definition = new KindDefinition
            {
                Schema = await ReadFileAsync(parse.GetValue(schema)!, ct),
                SecretFields = parse.GetValue(secret) ?? [],
            };
            await using var client = await cli.ConnectAsync(parse, ct);
            var description = await client.Grains.GetGrain<IEntityKindGrain>(Valid(kindName)).Define(definition);
            WriteKind(cli, description, parse.GetValue(json));
            return ExitCodes.Ok;
        });
        kind.Subcommands.Add(define);

        var showName = new Argument<string>("KIND") { Description = "The kind." };
        var showJson = JsonOption();
        var show = new Command("show", "Show a kind's current definition.") { showName, showJson };
        show.SetAction(async (parse, ct) =>
        {
            var kindName = Valid(parse.GetValue(showName)!);
            await using var client = await cli.ConnectAsync(parse, ct);
            var description = await client.Grains.GetGrain<IEntityKindGrain>(kindName).Describe();
            if (description is null)
            {
                cli.Error.WriteLine($"baton: kind '{kindName}' is not defined.");
                return ExitCodes.Failed;
            }

            WriteKind(cli, description, parse.GetValue(showJson));
            return ExitCodes.Ok;
        });
        kind.Subcommands.Add(show);
        return kind;
    }

    private static Command Entity(CliContext cli)
    {
        var entity = new Command("entity", "Entities: schema-checked state with field history and change events.");
        entity.Subcommands.Add(Get(cli));
        entity.Subcommands.Add(Write(cli, "set", "Replace an entity's state with a JSON object.", patch: false));
        entity.Subcommands.Add(Write(cli, "patch", "Apply a JSON merge patch (RFC 7386) to an entity's state.", patch: true));
        entity.Subcommands.Add(Delete(cli));
        entity.Subcommands.Add(History(cli));
        entity.Subcommands.Add(Watch(cli));
        return entity;
    }

    private static Command Get(CliContext cli)
    {
        var key = KeyArgument();
        var json = JsonOption();
        var get = new Command("get", "Show an entity's state and version.") { key, json };
        get.SetAction(async (parse, ct) =>
        {
            var k = ParseKey(parse.GetValue(key)!);
            await using var client = await cli.ConnectAsync(parse, ct);
            var snapshot = await client.Grains.GetGrain<IEntityGrain>(k).Get();
            if (snapshot.Status != EntityStatus.Live)
            {
                cli.Error.WriteLine(snapshot.Status == EntityStatus.Tombstoned
                    ? $"baton: entity '{k}' was removed at version {snapshot.Version}."
                    : $"baton: entity '{k}' was never written.");
                return ExitCodes.Failed;
            }

            if (parse.GetValue(json))
            {
                WriteJson(cli, new JsonObject
                {
                    ["kind"] = snapshot.Kind,
                    ["id"] = snapshot.Id,
                    ["version"] = snapshot.Version,
                    ["state"] = JsonNode.Parse(snapshot.State!),
                    ["changed_at"] = snapshot.ChangedAt,
                });
            }
            else
            {
                cli.Console.MarkupLineInterpolated($"[bold]{k}[/] version {snapshot.Version}, changed {Time(snapshot.ChangedAt)}");
                cli.Console.WriteLine(Pretty(JsonNode.Parse(snapshot.State!)));
            }

            return ExitCodes.Ok;
        });
        return get;
    }

    private static Command Write(CliContext cli, string name, string description, bool patch)
    {
        var key = KeyArgument();
        var data = new Option<string>("--data") { Description = patch ? "The merge patch as JSON text." : "The state as JSON text." };
        var file = new Option<FileInfo>("--file") { Description = "Read the JSON from this file (default: standard input)." };
        var actor = ActorOption();
        var expect = ExpectVersionOption();
        var requestId = new Option<string>("--request-id") { Description = "Retrying with the same request id returns the first answer (default: a new id)." };
        var runId = new Option<string>("--run-id") { Description = "The run the write is made under; its registered secrets are masked." };
        var json = JsonOption();
        var command = new Command(name, description) { key, data, file, actor, expect, requestId, runId, json };
        command.SetAction(async (parse, ct) =>
        {
            var k = ParseKey(parse.GetValue(key)!);
            var body = await ReadBodyAsync(parse.GetValue(data), parse.GetValue(file), ct);
            var request = new MutateRequest
            {
                Patch = patch ? body : null,
                State = patch ? null : body,
                ExpectedVersion = parse.GetValue(expect),
                Actor = parse.GetValue(actor)!,
                RunId = parse.GetValue(runId),
                RequestId = parse.GetValue(requestId) ?? Guid.NewGuid().ToString(),
            };
            await using var client = await cli.ConnectAsync(parse, ct);
            var result = await client.Grains.GetGrain<IEntityGrain>(k).Mutate(request);
            if (parse.GetValue(json))
            {
                WriteJson(cli, new JsonObject
                {
                    ["key"] = k,
                    ["version"] = result.Version,
                    ["state"] = JsonNode.Parse(result.State),
                    ["changed_fields"] = new JsonArray([.. result.ChangedFields.Select(f => (JsonNode?)f)]),
                    ["change_id"] = result.ChangeId,
                    ["created"] = result.Created,
                });
            }
            else if (result.Changed)
            {
                cli.Console.MarkupLineInterpolated(
                    $"[bold]{k}[/] {(result.Created ? "created at" : "now at")} version {result.Version}; changed: {string.Join(", ", result.ChangedFields)}");
            }
            else
            {
                cli.Console.MarkupLineInterpolated($"[bold]{k}[/] unchanged at version {result.Version}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Delete(CliContext cli)
    {
        var key = KeyArgument();
        var actor = ActorOption();
        var expect = ExpectVersionOption();
        var json = JsonOption();
        var delete = new Command("delete", "Remove an entity, leaving a tombstone.") { key, actor, expect, json };
        delete.SetAction(async (parse, ct) =>
        {
            var k = ParseKey(parse.GetValue(key)!);
            await using var client = await cli.ConnectAsync(parse, ct);
            var result = await client.Grains.GetGrain<IEntityGrain>(k).Remove(parse.GetValue(actor)!, parse.GetValue(expect));
            var outcome = result.Outcome switch
            {
                RemoveOutcome.Removed => "removed",
                RemoveOutcome.AlreadyRemoved => "already_removed",
                _ => "not_found",
            };
            if (parse.GetValue(json))
            {
                WriteJson(cli, new JsonObject { ["key"] = k, ["outcome"] = outcome, ["version"] = result.Version, ["change_id"] = result.ChangeId });
            }
            else
            {
                cli.Console.MarkupLineInterpolated($"[bold]{k}[/] {outcome.Replace('_', ' ')} (version {result.Version})");
            }

            return result.Outcome == RemoveOutcome.NotFound ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return delete;
    }

    private static Command History(CliContext cli)
    {
        var key = KeyArgument();
        var field = new Option<string>("--field") { Description = "Only this top-level field." };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only transitions at or after this time (ISO 8601)." };
        var limit = new Option<int>("--limit") { Description = "At most this many transitions, newest first.", DefaultValueFactory = _ => 100 };
        var json = JsonOption();
        var history = new Command("history", "Show an entity's field transitions, newest first.") { key, field, since, limit, json };
        history.SetAction(async (parse, ct) =>
        {
            var k = ParseKey(parse.GetValue(key)!);
            await using var client = await cli.ConnectAsync(parse, ct);
            var transitions = await client.Grains.GetGrain<IEntityGrain>(k).History(parse.GetValue(field), parse.GetValue(since), parse.GetValue(limit));
            if (parse.GetValue(json))
            {
                WriteJson(cli, new JsonObject { ["key"] = k, ["transitions"] = new JsonArray([.. transitions.Select(t => (JsonNode)t.ToJson())]) });
                return ExitCodes.Ok;
            }

            if (transitions.Count == 0)
            {
                cli.Console.WriteLine("No transitions.");
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded);
            foreach (var column in new[] { "Version", "At (UTC)", "Actor", "Field", "From", "To" })
            {
                table.AddColumn(column);
            }

            foreach (var t in transitions)
            {
                table.AddRow(
                    new Text(t.Version.ToString(CultureInfo.InvariantCulture)),
                    new Text(Time(t.At)),
                    new Text(t.Actor),
                    new Text(t.Field),
                    new Text(t.From ?? "(absent)"),
                    new Text(t.To ?? "(absent)"));
            }

            cli.Console.Write(table);
            return ExitCodes.Ok;
        });
        return history;
    }

    private static Command Watch(CliContext cli)
    {
        var kind = new Argument<string>("KIND") { Description = "The kind whose entities to follow." };
        var after = new Option<string>("--after") { Description = "Resume after this cursor (the cursor of the last event handled); default: from now." };
        var types = new Option<string[]>("--type") { Description = "Only events of this type or 'prefix.*' (repeatable; default: entity.changed and the kind's derived events)." };
        var count = new Option<int?>("--count") { Description = "Stop after this many events (default: run until interrupted)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document per line: cursor, namespace, event_id, type, subject, sequence, occurred_at, actor, payload." };
        var watch = new Command("watch", "Follow the changes of a kind's entities as they happen (the change feed filtered by kind).") { kind, after, types, count, json };
        watch.SetAction(async (parse, ct) =>
        {
            var kindName = Valid(parse.GetValue(kind)!);
            var cursor = parse.GetValue(after);
            if (cursor is not null && !FeedCursor.TryParse(cursor, out _))
            {
                throw new UsageException($"--after: '{cursor}' is not a feed cursor (pass back the cursor of an event this feed printed).");
            }

            if (!EventTypeFilter.TryParse(parse.GetValue(types), out var typeFilter, out var typeError))
            {
                throw new UsageException($"--type: {typeError}");
            }

            var limit = parse.GetValue(count);
            if (limit is < 1)
            {
                throw new UsageException("--count: must be at least 1.");
            }

            var asJson = parse.GetValue(json);
            await using var client = await cli.ConnectAsync(parse, ct);
            var seen = 0;
            try
            {
                await foreach (var e in client.Events.WatchAsync(FeedFilter.EntityKind(kindName, typeFilter), cursor, ct))
                {
                    if (asJson)
                    {
                        cli.Out.WriteLine(FeedEventJson(e).ToJsonString());
                    }
                    else
                    {
                        cli.Out.WriteLine(FeedEventLine(e));
                    }

                    cli.Out.Flush();
                    if (++seen == limit)
                    {
                        break;
                    }
                }
            }
            catch (CursorExpiredException ex)
            {
                cli.Error.WriteLine($"baton: {ex.Message}");
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        });
        return watch;
    }

    private static JsonObject FeedEventJson(FeedEvent e)
    {
        JsonNode? payload;
        try
        {
            payload = JsonNode.Parse(e.Envelope.Payload);
        }
        catch (JsonException)
        {
            payload = e.Envelope.Payload;
        }

        return new JsonObject
        {
            ["cursor"] = e.Cursor,
            ["namespace"] = e.Namespace,
            ["event_id"] = e.Envelope.EventId,
            ["type"] = e.Envelope.Type,
            ["subject"] = e.Envelope.Subject,
            ["sequence"] = e.Envelope.Sequence,
            ["occurred_at"] = e.Envelope.OccurredAt,
            ["actor"] = e.Envelope.Actor,
            ["payload"] = payload,
        };
    }

    /// <summary>One line for people: cursor, time, type, subject, version and changed fields when the payload has them.</summary>
    private static string FeedEventLine(FeedEvent e)
    {
        var line = $"{e.Cursor}  {Time(e.Envelope.OccurredAt)}  {e.Envelope.Type}  {e.Envelope.Subject}";
        try
        {
            if (JsonNode.Parse(e.Envelope.Payload) is JsonObject payload)
            {
                if (payload["version"] is JsonValue version)
                {
                    line += $"  v{version.ToJsonString()}";
                }

                if (payload["changed_fields"] is JsonArray fields && fields.Count > 0)
                {
                    line += $"  changed: {string.Join(", ", fields.Select(f => f?.GetValue<string>()))}";
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the line without details.
        }

        return e.Envelope.Actor is null ? line : $"{line}  by {e.Envelope.Actor}";
    }

    private static void WriteKind(CliContext cli, KindDescription description, bool json)
    {
        if (json)
        {
            WriteJson(cli, new JsonObject
            {
                ["kind"] = description.Kind,
                ["version"] = description.Version,
                ["schema"] = JsonNode.Parse(description.Definition.Schema),
                ["secret_fields"] = new JsonArray([.. description.Definition.SecretFields.Select(f => (JsonNode?)f)]),
                ["derivers"] = new JsonArray([.. description.Definition.Derivers.Select(r => (JsonNode?)new JsonObject
                {
                    ["field"] = r.Field,
                    ["op"] = FieldRuleOps.Name(r.Op),
                    ["value"] = JsonNode.Parse(r.Value),
                    ["event"] = r.Event,
                })]),
                ["defined_at"] = description.DefinedAt,
            });
            return;
        }

        var secrets = description.Definition.SecretFields.Count == 0 ? "none" : string.Join(", ", description.Definition.SecretFields);
        cli.Console.MarkupLineInterpolated($"kind [bold]{description.Kind}[/] version {description.Version}, defined {Time(description.DefinedAt)}; secret fields: {secrets}");
    }

    private static Argument<string> KeyArgument() => new("KIND/ID") { Description = "The entity: its kind, '/', and its id." };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print a JSON document." };

    private static Option<string> ActorOption() => new("--actor") { Description = "Who writes (recorded in history and events).", Required = true };

    private static Option<long?> ExpectVersionOption() =>
        new("--expect-version") { Description = "Write only if the entity is at this version (0: never written)." };

    private static string ParseKey(string key)
    {
        if (EntityKey.KeyProblem(key) is { } rule)
        {
            throw new UsageException($"KIND/ID: {rule}");
        }

        return key;
    }

    private static string Valid(string kind) =>
        EntityKey.KindProblem(kind) is { } rule ? throw new UsageException($"KIND: {rule}") : kind;

    private static async Task<string> ReadBodyAsync(string? data, FileInfo? file, CancellationToken ct)
    {
        if (data is not null && file is not null)
        {
            throw new UsageException("give the JSON with --data or --file, not both.");
        }

        if (data is not null)
        {
            return data;
        }

        if (file is not null)
        {
            return await ReadFileAsync(file, ct);
        }

        if (!Console.IsInputRedirected)
        {
            throw new UsageException("give the JSON with --data, --file, or on standard input.");
        }

        return await Console.In.ReadToEndAsync(ct);
    }

    private static async Task<string> ReadFileAsync(FileInfo file, CancellationToken ct)
    {
        try
        {
            return await File.ReadAllTextAsync(file.FullName, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{file.FullName}' ({ex.Message})");
        }
    }

    private static void WriteJson(CliContext cli, JsonNode document)
    {
        cli.Out.WriteLine(document.ToJsonString(Indented));
        cli.Out.Flush();
    }

    private static string Pretty(JsonNode? node) => node?.ToJsonString(Indented) ?? "null";

    private static string Time(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-";
}
