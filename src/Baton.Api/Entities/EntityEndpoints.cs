using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Api.Feed;
using Baton.Contracts;
using Baton.Contracts.Entities;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Baton.Api.Entities;

/// <summary>
/// Entities and kinds over HTTP, under <c>/api/v1</c>. Reads need any authenticated caller; writes need
/// role <c>agent</c> or <c>admin</c>, and the actor recorded in history and events is the caller's principal.
/// </summary>
/// <remarks>
/// <para><b>Ids.</b> An entity id is one path segment; an id containing '/' is sent with it escaped as <c>%2F</c>.
/// <c>GET /entities/{kind}/watch</c> is the kind's change stream (Server-Sent Events), so an entity whose id is
/// <c>watch</c> cannot be read with GET over HTTP (the .NET client and the CLI can); every other method, and its
/// <c>/history</c> and <c>/state-since</c>, reach it.</para>
/// <para><b>Versions.</b> The <c>ETag</c> is the entity's version, quoted (<c>"3"</c>). <c>If-Match: "3"</c> makes a
/// write conditional on version 3 (<c>"0"</c>: never written); <c>If-Match: *</c> on the entity being live.
/// A mismatch is <c>412</c> with the current version in <c>current_version</c> and the <c>ETag</c> header.</para>
/// <para><b>Idempotency.</b> A write may carry <c>Request-Id</c> (1–256 characters): retrying with the same id and
/// body returns the first answer (same version, no second change or event); the same id with another body is
/// <c>400</c>. Without the header every request is a new write. <c>Run-Id</c> names the run the write is made
/// under (its registered secrets are masked).</para>
/// <para><b>Errors</b> (RFC 9457 problem JSON): a bad kind, id, body, header or query is <c>400</c> naming the field;
/// a state that fails the schema is <c>422</c> with <c>errors: [{ path, message, kind }]</c>; a write to a kind
/// that is not defined is <c>422</c> (the URL is fine, the kind it names is not usable yet); an entity never
/// written is <c>404</c>; a removed one is <c>410 Gone</c> with the tombstone's version; a write that lost a
/// race with a duplicate activation is <c>503</c> with <c>Retry-After: 1</c>.</para>
/// </remarks>
public static class EntityEndpoints
{
    public const string MergePatchMediaType = "application/merge-patch+json";
    public const string RequestIdHeader = "Request-Id";
    public const string RunIdHeader = "Run-Id";
    public const int DefaultHistoryLimit = 100;

    public static IEndpointRouteBuilder MapEntityEndpoints(this IEndpointRouteBuilder api)
    {
        var kinds = api.MapGroup("/kinds/{kind}").WithTags("Entities");
        kinds.MapPut("/", DefineKind).RequireAuthorization(BatonPolicies.Agent)
            .WithName("DefineKind").WithSummary("Define or redefine a kind: { schema, secret_fields, derivers }.");
        kinds.MapGet("/", DescribeKind).WithName("DescribeKind").WithSummary("The kind's current definition and version.");

        // A literal segment outranks a route parameter, so this wins over GET /entities/{kind}/{id} for id "watch".
        api.MapGet("/entities/{kind}/watch", WatchKind)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithTags("Entities")
            .WithName("WatchEntities")
            .WithSummary("The kind's changes as Server-Sent Events (the change feed filtered by kind); resume with Last-Event-ID or ?after=<cursor>.")
            .WithDescription(
                "Every event of namespace entities whose subject is kind/<id>: entity.changed and the kind's derived events " +
                "(kind.created, kind.updated, kind.deleted, field rules). types narrows it (e.g. types=entity.changed). " +
                "Cursors, Last-Event-ID, heartbeats and 410 on an expired cursor are those of GET /events.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status410Gone);

        var entity = api.MapGroup("/entities/{kind}/{id}").WithTags("Entities");
        entity.MapGet("/", GetEntity).WithName("GetEntity").WithSummary("The entity's state; the ETag is its version.");
        entity.MapPut("/", ReplaceEntity).RequireAuthorization(BatonPolicies.Agent)
            .WithName("PutEntity").WithSummary("Replace the entity's state (honours If-Match and Request-Id).");
        entity.MapPatch("/", PatchEntity).RequireAuthorization(BatonPolicies.Agent)
            .WithName("PatchEntity").WithSummary("Apply a JSON merge patch (RFC 7386) to the entity's state.");
        entity.MapDelete("/", RemoveEntity).RequireAuthorization(BatonPolicies.Agent)
            .WithName("DeleteEntity").WithSummary("Remove the entity, leaving a tombstone (honours If-Match).");
        entity.MapGet("/history", GetHistory).WithName("EntityHistory").WithSummary("Field transitions, newest first: ?field=&since=&limit=.");
        entity.MapGet("/state-since", GetStateSince).WithName("EntityStateSince").WithSummary("Since when a field has had its current value: ?field=.");
        return api;
    }

    private static Task WatchKind(string kind, HttpContext http, string? types, string? after, CancellationToken aborted)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (EntityKey.KindProblem(kind) is { } rule)
        {
            errors["kind"] = [rule];
        }

        if (!EventTypeFilter.TryParse(types, out var typeFilter, out var typeError))
        {
            errors["types"] = [typeError];
        }

        var filter = errors.Count == 0 ? FeedFilter.EntityKind(kind, typeFilter) : null;
        return EventFeedEndpoint.ServeAsync(http, filter, errors, after, aborted);
    }

    private static async Task<IResult> DefineKind(string kind, HttpRequest request, IGrainFactory grains)
    {
        return await Guarded(async () =>
        {
            EntityKey.ValidateKind(kind);
            var body = await ReadObjectAsync(request, "body");
            var definition = ParseDefinition(body);
            var description = await grains.GetGrain<IEntityKindGrain>(kind).Define(definition);
            return Json(KindDocument(description));
        });
    }

    private static async Task<IResult> DescribeKind(string kind, IGrainFactory grains)
    {
        return await Guarded(async () =>
        {
            EntityKey.ValidateKind(kind);
            var description = await grains.GetGrain<IEntityKindGrain>(kind).Describe();
            return description is null
                ? Problem(StatusCodes.Status404NotFound, "Kind not found", $"Kind '{kind}' is not defined.")
                : Json(KindDocument(description));
        });
    }

    private static async Task<IResult> GetEntity(string kind, string id, HttpResponse response, IGrainFactory grains)
    {
        return await Guarded(async () =>
        {
            var key = Key(kind, ref id);
            var snapshot = await grains.GetGrain<IEntityGrain>(key).Get();
            if (Absent(snapshot) is { } absent)
            {
                return absent;
            }

            SetVersion(response, snapshot.Version);
            return Json(new JsonObject
            {
                ["kind"] = snapshot.Kind,
                ["id"] = snapshot.Id,
                ["version"] = snapshot.Version,
                ["state"] = JsonNode.Parse(snapshot.State!),
                ["changed_at"] = snapshot.ChangedAt,
            });
        });
    }

    private static Task<IResult> ReplaceEntity(string kind, string id, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains) =>
        Write(kind, id, request, user, grains, patch: false);

    private static Task<IResult> PatchEntity(string kind, string id, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains) =>
        Write(kind, id, request, user, grains, patch: true);

    private static async Task<IResult> Write(string kind, string id, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains, bool patch)
    {
        return await Guarded(async () =>
        {
            var key = Key(kind, ref id);
            var mediaType = request.ContentType?.Split(';')[0].Trim();
            var accepted = patch ? mediaType is MergePatchMediaType or "application/json" : mediaType is "application/json";
            if (!accepted)
            {
                return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                    patch ? $"Send the merge patch as {MergePatchMediaType}." : "Send the state as application/json.");
            }

            var body = await ReadTextAsync(request);
            var grain = grains.GetGrain<IEntityGrain>(key);
            var expected = await ExpectedVersionAsync(request, grain);
            var mutate = new MutateRequest
            {
                Patch = patch ? body : null,
                State = patch ? null : body,
                ExpectedVersion = expected,
                Actor = Actor(user),
                RunId = Header(request, RunIdHeader),
                RequestId = Header(request, RequestIdHeader) ?? Guid.NewGuid().ToString(),
            };
            var result = await grain.Mutate(mutate);
            SetVersion(request.HttpContext.Response, result.Version);
            request.HttpContext.Response.Headers[RequestIdHeader] = mutate.RequestId;
            var document = new JsonObject
            {
                ["kind"] = kind,
                ["id"] = id,
                ["version"] = result.Version,
                ["state"] = JsonNode.Parse(result.State),
                ["changed_fields"] = new JsonArray([.. result.ChangedFields.Select(f => (JsonNode?)f)]),
                ["change_id"] = result.ChangeId,
                ["created"] = result.Created,
            };
            return Json(document, result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        });
    }

    private static async Task<IResult> RemoveEntity(string kind, string id, HttpRequest request, ClaimsPrincipal user, IGrainFactory grains)
    {
        return await Guarded(async () =>
        {
            var key = Key(kind, ref id);
            var grain = grains.GetGrain<IEntityGrain>(key);
            var expected = await ExpectedVersionAsync(request, grain);
            var result = await grain.Remove(Actor(user), expected);
            if (result.Outcome == RemoveOutcome.NotFound)
            {
                return Problem(StatusCodes.Status404NotFound, "Entity not found", $"Entity '{key}' was never written.");
            }

            SetVersion(request.HttpContext.Response, result.Version);
            return Json(new JsonObject
            {
                ["kind"] = kind,
                ["id"] = id,
                ["outcome"] = result.Outcome == RemoveOutcome.Removed ? "removed" : "already_removed",
                ["version"] = result.Version,
                ["change_id"] = result.ChangeId,
            });
        });
    }

    private static async Task<IResult> GetHistory(string kind, string id, HttpRequest request, IGrainFactory grains)
    {
        return await Guarded(async () =>
        {
            var key = Key(kind, ref id);
            var field = Query(request, "field");
            DateTimeOffset? since = Query(request, "since") is { } s ? ParseTime(s, "since") : null;
            var limit = Query(request, "limit") is { } l
                ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new EntityValidationException("limit", "must be a whole number")
                : DefaultHistoryLimit;
            var transitions = await grains.GetGrain<IEntityGrain>(key).History(field, since, limit);
            return Json(new JsonObject
            {
                ["kind"] = kind,
                ["id"] = id,
                ["transitions"] = new JsonArray([.. transitions.Select(t => (JsonNode)t.ToJson())]),
            });
        });
    }

    private static async Task<IResult> GetStateSince(string kind, string id, HttpRequest request, IGrainFactory grains)
    {
        return await Guarded(async () =>
        {
            var key = Key(kind, ref id);
            var field = Query(request, "field") ?? throw new EntityValidationException("field", "is required (a top-level field of the state)");
            var grain = grains.GetGrain<IEntityGrain>(key);
            var since = await grain.InStateSince(field);
            if (since is null)
            {
                var snapshot = await grain.Get();
                return Absent(snapshot)
                    ?? Problem(StatusCodes.Status404NotFound, "Field has no history", $"Field '{field}' of '{key}' never had a value.");
            }

            var document = new JsonObject { ["field"] = since.Field };
            if (since.Value is not null)
            {
                document["value"] = JsonNode.Parse(since.Value);
            }

            document["since"] = since.Since;
            document["version"] = since.Version;
            return Json(document);
        });
    }

    private static JsonObject KindDocument(KindDescription description) => new()
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
    };

    private static KindDefinition ParseDefinition(JsonObject body)
    {
        if (!body.TryGetPropertyValue("schema", out var schema) || schema is not JsonObject)
        {
            throw new EntityValidationException("schema", "is required and must be a JSON Schema object");
        }

        var secrets = new List<string>();
        if (body["secret_fields"] is { } secretNode)
        {
            if (secretNode is not JsonArray secretArray || secretArray.Any(s => s is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
            {
                throw new EntityValidationException("secret_fields", "must be an array of field names");
            }

            secrets.AddRange(secretArray.Select(s => s!.GetValue<string>()));
        }

        var rules = new List<FieldRule>();
        if (body["derivers"] is { } deriverNode)
        {
            if (deriverNode is not JsonArray deriverArray)
            {
                throw new EntityValidationException("derivers", "must be an array of { field, op, value, event? }");
            }

            for (var i = 0; i < deriverArray.Count; i++)
            {
                var at = $"derivers[{i}]";
                if (deriverArray[i] is not JsonObject rule)
                {
                    throw new EntityValidationException(at, "must be an object { field, op, value, event? }");
                }

                if (!FieldRuleOps.TryParse(StringMember(rule, "op", at), out var op))
                {
                    throw new EntityValidationException($"{at}.op", $"must be {FieldRuleOps.ChangedTo}, {FieldRuleOps.CrossesAbove} or {FieldRuleOps.CrossesBelow}");
                }

                rules.Add(new FieldRule
                {
                    Field = StringMember(rule, "field", at) ?? "",
                    Op = op,
                    Value = rule.TryGetPropertyValue("value", out var value) ? value?.ToJsonString() ?? "null" : throw new EntityValidationException($"{at}.value", "is required"),
                    Event = StringMember(rule, "event", at),
                });
            }
        }

        return new KindDefinition { Schema = schema.ToJsonString(), SecretFields = secrets, Derivers = rules };
    }

    private static string? StringMember(JsonObject obj, string name, string at) => obj[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new EntityValidationException($"{at}.{name}", "must be a string"),
    };

    /// <summary>The grain key; the id arrives with '/' still escaped as %2F (Kestrel decodes everything else).</summary>
    private static string Key(string kind, ref string id)
    {
        id = id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        EntityKey.ValidateKind(kind);
        if (EntityKey.IdProblem(id) is { } rule)
        {
            throw new EntityValidationException("id", rule);
        }

        return EntityKey.Compose(kind, id);
    }

    /// <summary>The expected version If-Match asks for: a quoted version, or <c>*</c> (the current version of a live entity).</summary>
    private static async Task<long?> ExpectedVersionAsync(HttpRequest request, IEntityGrain grain)
    {
        var header = request.Headers.IfMatch;
        if (StringValues.IsNullOrEmpty(header))
        {
            return null;
        }

        var value = header.ToString().Trim();
        if (value == "*")
        {
            var snapshot = await grain.Get();
            return snapshot.Status == EntityStatus.Live
                ? snapshot.Version
                : throw new PreconditionFailed(snapshot.Version, "If-Match: * needs a live entity.");
        }

        if (value.Length >= 3 && value[0] == '"' && value[^1] == '"'
            && long.TryParse(value.AsSpan(1, value.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return version;
        }

        throw new EntityValidationException("If-Match", "must be one quoted version (\"3\") as sent in the ETag header, or *");
    }

    private static IResult? Absent(EntitySnapshot snapshot) => snapshot.Status switch
    {
        EntityStatus.NotFound => Problem(StatusCodes.Status404NotFound, "Entity not found", $"Entity '{snapshot.Kind}/{snapshot.Id}' was never written."),
        EntityStatus.Tombstoned => Problem(StatusCodes.Status410Gone, "Entity removed",
            $"Entity '{snapshot.Kind}/{snapshot.Id}' was removed at version {snapshot.Version}.",
            new Dictionary<string, object?> { ["version"] = snapshot.Version, ["removed_at"] = snapshot.ChangedAt }),
        _ => null,
    };

    /// <summary>Runs an endpoint, turning the typed entity errors into problem JSON.</summary>
    private static async Task<IResult> Guarded(Func<Task<IResult>> endpoint)
    {
        try
        {
            return await endpoint();
        }
        catch (EntityValidationException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid request", ex.Message,
                new Dictionary<string, object?> { ["field"] = ex.Field, ["rule"] = ex.Rule });
        }
        catch (EntitySchemaException ex)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "State does not match the kind's schema",
                $"The state does not match the schema of kind '{ex.Kind}' (version {ex.SchemaVersion}).",
                new Dictionary<string, object?>
                {
                    ["schema_version"] = ex.SchemaVersion,
                    ["errors"] = ex.Errors.Select(e => new Dictionary<string, string> { ["path"] = e.Path, ["message"] = e.Message, ["kind"] = e.Kind }).ToList(),
                });
        }
        catch (EntityKindNotDefinedException ex)
        {
            return Problem(StatusCodes.Status422UnprocessableEntity, "Kind not defined",
                $"Kind '{ex.Kind}' is not defined; define it with PUT {BatonApi.Root}/kinds/{ex.Kind} first.",
                new Dictionary<string, object?> { ["kind"] = ex.Kind });
        }
        catch (EntityVersionConflictException ex)
        {
            return new PreconditionFailed(ex.CurrentVersion, ex.Message).ToResult();
        }
        catch (PreconditionFailed ex)
        {
            return ex.ToResult();
        }
        catch (StateConflictException ex)
        {
            return new RetryLater(ex.Message);
        }
    }

    private static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions);

    private static IResult Json(JsonNode document, int status = StatusCodes.Status200OK) =>
        Results.Text(document.ToJsonString(), "application/json", Encoding.UTF8, status);

    private static void SetVersion(HttpResponse response, long version) => response.Headers.ETag = $"\"{version}\"";

    private static string Actor(ClaimsPrincipal user) =>
        user.Identity?.Name is { Length: > 0 } name ? name : throw new EntityValidationException("Authorization", "the caller has no principal name");

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value) ? value.ToString() : null;

    private static string? Query(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var value) && !StringValues.IsNullOrEmpty(value) ? value.ToString() : null;

    private static DateTimeOffset ParseTime(string text, string field) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new EntityValidationException(field, "must be an ISO 8601 time, e.g. 2026-03-01T12:00:00Z");

    private static async Task<string> ReadTextAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpRequest request, string field)
    {
        var text = await ReadTextAsync(request);
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new EntityValidationException(field, "must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new EntityValidationException(field, $"must be valid JSON ({ex.Message})");
        }
    }

    /// <summary>412 with the current version, as problem JSON and ETag.</summary>
    private sealed class PreconditionFailed(long currentVersion, string detail) : Exception(detail)
    {
        public IResult ToResult() => new WithHeader(
            Problem(StatusCodes.Status412PreconditionFailed, "Version mismatch", Message,
                new Dictionary<string, object?> { ["current_version"] = currentVersion }),
            "ETag", $"\"{currentVersion}\"");
    }

    private sealed class RetryLater(string detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => new WithHeader(
            Problem(StatusCodes.Status503ServiceUnavailable, "Write raced another activation", detail), "Retry-After", "1").ExecuteAsync(httpContext);
    }

    private sealed class WithHeader(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[name] = value;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
