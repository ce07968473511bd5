using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Baton.Contracts.Intents;
using Baton.Grains.Intents;
using Baton.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Baton.Api.Intents;

/// <summary>
/// <c>/api/v1/intents</c> and <c>/api/v1/approvals</c>: propose write intents, look at them, cancel and revise them,
/// and review them one at a time or in batches.
/// </summary>
/// <remarks>
/// <para>Who acts: the authenticated principal. <c>requested_by</c> defaults to the caller and must equal it unless the
/// caller is an admin (403 otherwise). The reviewer of a response or batch is always the caller, never a body field;
/// cancel and revise are made as the caller (only the requester may, 403 otherwise).</para>
/// <para>Idempotency: an intent's id is its idempotency key: <c>idempotency_key</c> when given, else derived from
/// <c>{ interface_key, operation, resource_ref, payload }</c>. Proposing the same write again is 200 with the existing
/// intent; reusing a key for a different write is 409.</para>
/// <para>Listing: <c>GET /api/v1/intents</c> filters by <c>phase</c> (snake_case) and <c>requested_by</c>, newest
/// proposal first, from the intent index. <c>needs_my_approval=true</c> lists instead what waits for the caller's vote
/// (from the reviewer indexes, oldest request first), optionally only <c>requested_by</c>'s; with it, <c>phase</c> may
/// only be <c>pending_approval</c>. Indexes lag the intents briefly; <c>GET /api/v1/intents/{id}</c> is the truth.</para>
/// <para>Policies: <c>GET /api/v1/approvals/policies</c> shows the approval policy and risk rules new proposals are
/// decided under (stored, or the configured ones at version 0); <c>POST</c> replaces them (admins only), validated
/// whole, optionally only from <c>expected_version</c>.</para>
/// <para>Errors are RFC 9457 problem JSON: 400 names the offending field in <c>errors</c> and <c>field</c>; 403 not
/// allowed (self-approval, not a reviewer, not the requester); 404 unknown intent; 409 key reused for another write,
/// a phase that does not allow the action, or a review refused for its state (already voted, stale payload).</para>
/// </remarks>
public static class IntentEndpoints
{
    public const string Path = "/intents";
    public const string ApprovalsPath = "/approvals";
    public const int DefaultLimit = 50;

    public const string ConflictType = "https://baton.dev/problems/intent-key-conflict";
    public const string NotFoundType = "https://baton.dev/problems/intent-not-found";
    public const string IllegalTransitionType = "https://baton.dev/problems/intent-illegal-transition";
    public const string ReviewRefusedType = "https://baton.dev/problems/review-refused";
    public const string ForbiddenType = "https://baton.dev/problems/intent-forbidden";
    public const string PolicyConflictType = "https://baton.dev/problems/policy-version-conflict";

    internal static RouteGroupBuilder MapIntents(this RouteGroupBuilder api)
    {
        var intents = api.MapGroup(Path).WithTags("Intents");
        intents.MapPost("/", ProposeAsync)
            .RequireAuthorization(BatonPolicies.Agent)
            .WithName("ProposeIntent")
            .WithSummary("Propose a write: 201 new, 200 when the same write was proposed under this key, 409 when the key names another write.")
            .Accepts<ProposeBody>("application/json")
            .Produces<IntentDocument>(StatusCodes.Status201Created)
            .Produces<IntentDocument>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        intents.MapGet("/", ListAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("ListIntents")
            .WithSummary("Intents by phase and requester, newest first (page, limit); needs_my_approval=true: those waiting for the caller's vote, oldest first.")
            .Produces<IntentListDocument>()
            .Produces<ApprovalPageDocument>()
            .ProducesValidationProblem();
        intents.MapGet("/{id}", GetAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("GetIntent")
            .WithSummary("An intent: the write, its phase, risk, requirement, approvals, attempts and outcome.")
            .Produces<IntentDocument>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        intents.MapGet("/{id}/preview", PreviewAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("PreviewIntent")
            .WithSummary("What the executor would do, without doing it.")
            .Produces<PreviewDocument>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        intents.MapPost("/{id}/cancel", CancelAsync)
            .RequireAuthorization(BatonPolicies.Agent)
            .WithName("CancelIntent")
            .WithSummary("The requester cancels a pending or approved intent; cancelling it again changes nothing.")
            .Accepts<CancelBody>("application/json")
            .Produces<IntentDocument>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        intents.MapPost("/{id}/revise", ReviseAsync)
            .RequireAuthorization(BatonPolicies.Agent)
            .WithName("ReviseIntent")
            .WithSummary("The requester revises an intent in changes_requested: it is pending again and earlier approvals are void.")
            .Accepts<ReviseBody>("application/json")
            .Produces<IntentDocument>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        var approvals = api.MapGroup(ApprovalsPath).WithTags("Intents");
        approvals.MapGet("/", ApprovalsAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("PendingApprovals")
            .WithSummary("The intents waiting for reviewer's vote (default: the caller), its own seats and those open to anyone, oldest first; reviewer=* lists only the open ones.")
            .Produces<ApprovalPageDocument>()
            .ProducesValidationProblem();
        approvals.MapPost("/batch", BatchAsync)
            .RequireAuthorization(BatonPolicies.Reviewer)
            .WithName("BatchReview")
            .WithSummary("Approve, reject or delegate (delegate_to) 1–100 intents as the caller, with one result per intent; continue_on_error keeps going after a failed item.")
            .Accepts<BatchBody>("application/json")
            .Produces<BatchDocument>()
            .ProducesValidationProblem();
        approvals.MapGet("/policies", GetPolicyAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("GetApprovalPolicy")
            .WithSummary("The approval policy (level → approvals, reviewer groups, auto-approve) and risk rules new proposals are decided under.")
            .Produces<PolicyDocument>();
        approvals.MapPost("/policies", ReplacePolicyAsync)
            .RequireAuthorization(BatonPolicies.Admin)
            .WithName("ReplaceApprovalPolicy")
            .WithSummary("Replace the approval policy (and optionally the risk rules) as a new version; admins only; invalid input changes nothing.")
            .Accepts<PolicyBody>("application/json")
            .Produces<PolicyDocument>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);
        approvals.MapPost("/{intentId}/respond", RespondAsync)
            .RequireAuthorization(BatonPolicies.Reviewer)
            .WithName("RespondToIntent")
            .WithSummary("Review an intent as the caller: action approve, reject (reason), request_changes (reason) or delegate (delegate_to).")
            .Accepts<RespondBody>("application/json")
            .Produces<ReviewDocument>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<IResult> ProposeAsync(ProposeBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        return await Guard(async () =>
        {
            var principal = Principal(user);
            var requestedBy = string.IsNullOrEmpty(body.RequestedBy) ? principal : body.RequestedBy;
            if (requestedBy != principal && !user.IsInRole(BatonRoles.Admin))
            {
                return Problem(StatusCodes.Status403Forbidden, ForbiddenType, "forbidden",
                    $"requested_by '{requestedBy}' is not the caller '{principal}': agents propose for themselves; only admins for others.", "requested_by");
            }

            if (body.ApprovalTimeoutSeconds is { } timeout && (!double.IsFinite(timeout) || timeout < 0 || timeout > 366 * 86_400))
            {
                return Invalid("approval_timeout_seconds", $"must be a number of seconds (got {timeout.ToString(CultureInfo.InvariantCulture)})");
            }

            var request = new ProposeRequest
            {
                InterfaceKey = body.InterfaceKey ?? "",
                Operation = body.Operation ?? "",
                ResourceRef = body.ResourceRef ?? "",
                Payload = body.Payload is { } payload ? payload.GetRawText() : "{}",
                RequestedBy = requestedBy,
                Description = body.Description,
                Tags = body.Tags ?? [],
                TicketRef = body.TicketRef,
                Fence = body.Fence is null ? null : new IntentFence { LockKey = body.Fence.LockKey ?? "", Token = body.Fence.Token ?? 0 },
                RetryPolicy = body.RetryPolicy is null ? RetryPolicy.Default : new RetryPolicy
                {
                    MaxAttempts = body.RetryPolicy.MaxAttempts ?? RetryPolicy.Default.MaxAttempts,
                    InitialDelay = Seconds(body.RetryPolicy.InitialDelaySeconds) ?? RetryPolicy.Default.InitialDelay,
                    Backoff = body.RetryPolicy.Backoff ?? RetryPolicy.Default.Backoff,
                    MaxDelay = Seconds(body.RetryPolicy.MaxDelaySeconds) ?? RetryPolicy.Default.MaxDelay,
                },
                ApprovalTimeout = Seconds(body.ApprovalTimeoutSeconds) ?? IntentLimits.DefaultApprovalTimeout,
                IdempotencyKey = string.IsNullOrEmpty(body.IdempotencyKey) ? null : body.IdempotencyKey,
            };
            var key = KeyOf(request);
            var result = await grains.GetGrain<IWriteIntentGrain>(key).Propose(request);
            var document = IntentDocument.From(result.Intent);
            return result.Created ? Results.Created(IntentUrl(key), document) : Results.Ok(document);
        });
    }

    /// <summary>The intent's id for a proposal: the caller's key, else the derived one (400 naming <c>payload</c> when it is not JSON).</summary>
    public static string KeyOf(ProposeRequest request) =>
        request.IdempotencyKey ?? IdempotencyKey.For(request.InterfaceKey, request.Operation, request.ResourceRef, request.Payload);

    private static async Task<IResult> GetAsync(string id, IGrainFactory grains) =>
        await Guard(async () => Results.Ok(IntentDocument.From(await grains.GetGrain<IWriteIntentGrain>(id).Get())));

    private static async Task<IResult> PreviewAsync(string id, IGrainFactory grains) =>
        await Guard(async () =>
        {
            var preview = await grains.GetGrain<IWriteIntentGrain>(id).Preview();
            return Results.Ok(new PreviewDocument(id, preview.Summary, ParseOrText(preview.Detail)));
        });

    private static async Task<IResult> CancelAsync(string id, CancelBody? body, ClaimsPrincipal user, IGrainFactory grains) =>
        await Guard(async () => Results.Ok(IntentDocument.From(await grains.GetGrain<IWriteIntentGrain>(id).Cancel(Principal(user), body?.Reason))));

    private static async Task<IResult> ReviseAsync(string id, ReviseBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        await Guard(async () =>
        {
            if (body.Payload is not { } payload)
            {
                return Invalid("payload", "is required");
            }

            var view = await grains.GetGrain<IWriteIntentGrain>(id).Revise(Principal(user), new ReviseRequest
            {
                Payload = payload.GetRawText(),
                Description = body.Description,
                Reason = body.Reason,
            });
            return Results.Ok(IntentDocument.From(view));
        });

    private static async Task<IResult> ListAsync(
        ClaimsPrincipal user,
        IGrainFactory grains,
        [FromQuery] string? phase,
        [FromQuery(Name = "requested_by")] string? requestedBy,
        [FromQuery(Name = "needs_my_approval")] bool? needsMyApproval,
        [FromQuery] int? page,
        [FromQuery] int? limit)
    {
        IntentPhase? wanted = null;
        if (phase is not null)
        {
            if (!IntentPhases.TryParseWire(phase, out var parsed))
            {
                return Invalid("phase", $"must be one of {string.Join(", ", IntentPhases.WireNames)} (got '{phase}')");
            }

            wanted = parsed;
        }

        if (needsMyApproval == true)
        {
            if (wanted is { } other && other != IntentPhase.PendingApproval)
            {
                return Invalid("phase", $"needs_my_approval lists pending_approval intents only (got '{phase}')");
            }

            return await Guard(async () => Results.Ok(await PendingFor(grains, Principal(user), requestedBy, page, limit)));
        }

        return await Guard(async () =>
        {
            var query = new IntentQuery { Phase = wanted, RequestedBy = requestedBy, Page = page ?? 1, Limit = limit ?? DefaultLimit };
            var result = await grains.GetGrain<IIntentQueryGrain>(0).List(query);
            return Results.Ok(new IntentListDocument(
                wanted?.Wire(), requestedBy, result.Page, result.Limit, result.Total, result.Items.Select(IntentSummaryDocument.From).ToList()));
        });
    }

    private static async Task<IResult> ApprovalsAsync(ClaimsPrincipal user, IGrainFactory grains, [FromQuery] string? reviewer, [FromQuery] int? page, [FromQuery] int? limit)
    {
        reviewer ??= Principal(user);
        if (string.IsNullOrWhiteSpace(reviewer) || reviewer.Length > IntentLimits.MaxPrincipalLength)
        {
            return Invalid("reviewer", $"must be 1–{IntentLimits.MaxPrincipalLength} characters");
        }

        return await Guard(async () => Results.Ok(await PendingFor(grains, reviewer, null, page, limit)));
    }

    /// <summary>What waits for <paramref name="reviewer"/> (see <see cref="IIntentQueryGrain.NeedsApproval"/>).</summary>
    private static async Task<ApprovalPageDocument> PendingFor(IGrainFactory grains, string reviewer, string? requestedBy, int? page, int? limit)
    {
        var result = await grains.GetGrain<IIntentQueryGrain>(0).NeedsApproval(reviewer, requestedBy, page ?? 1, limit ?? DefaultLimit);
        return new ApprovalPageDocument(
            result.Reviewer,
            result.Page,
            result.Limit,
            result.Total,
            result.Items.Select(e => PendingApprovalDocument.From(e.Approval, e.OpenToAnyone)).ToList());
    }

    private static async Task<IResult> GetPolicyAsync(IGrainFactory grains, [FromServices] IIntentRulesSource configured)
    {
        var stored = await grains.GetGrain<IApprovalPolicyGrain>(IApprovalPolicyGrain.Key).Get();
        return Results.Ok(PolicyDocument.From(stored, await configured.GetAsync()));
    }

    private static async Task<IResult> ReplacePolicyAsync(PolicyBody body, ClaimsPrincipal user, IGrainFactory grains, [FromServices] IIntentRulesSource configured)
    {
        ReplaceIntentPolicy request;
        try
        {
            request = body.ToRequest(Principal(user));
        }
        catch (IntentValidationException ex)
        {
            return Invalid(ex.Field, ex.Rule);
        }

        try
        {
            var stored = await grains.GetGrain<IApprovalPolicyGrain>(IApprovalPolicyGrain.Key).Replace(request);
            return Results.Ok(PolicyDocument.From(stored, await configured.GetAsync()));
        }
        catch (IntentValidationException ex)
        {
            return Invalid(PolicyFieldName(ex.Field), ex.Rule);
        }
        catch (PolicyVersionConflictException ex)
        {
            return Problem(StatusCodes.Status409Conflict, PolicyConflictType, "policy version conflict", ex.Message, "expected_version",
                new Dictionary<string, object?> { ["current_version"] = ex.Current });
        }
    }

    /// <summary>The JSON path of a policy field named by <see cref="IntentValidationException.Field"/>, e.g. <c>Levels[High]</c> → <c>levels[high]</c>.</summary>
    internal static string PolicyFieldName(string member)
    {
        var bracket = member.IndexOf('[', StringComparison.Ordinal);
        var head = bracket < 0 ? member : member[..bracket];
        var tail = bracket < 0 ? "" : member[bracket..];
        if (head is nameof(ApprovalPolicyDefinition.Levels))
        {
            tail = tail.ToLowerInvariant();
        }

        var path = Snake(head) + tail;
        return head is nameof(RiskRuleSet.Rules) or nameof(RiskRuleSet.MediumFrom) or nameof(RiskRuleSet.HighFrom) or nameof(RiskRuleSet.CriticalFrom)
            ? "risk_rules." + path
            : path;
    }

    private static async Task<IResult> RespondAsync(string intentId, RespondBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        await Guard(async () =>
        {
            if (body.Action is null)
            {
                return Invalid("action", "is required: approve, reject, request_changes or delegate");
            }

            if (!TryParseDecision(body.Action, out var decision))
            {
                return Invalid("action", $"must be approve, reject, request_changes or delegate (got '{body.Action}')");
            }

            var result = await grains.GetGrain<IWriteIntentGrain>(intentId).Review(Principal(user), new ReviewAction
            {
                Decision = decision,
                Reason = body.Reason,
                DelegateTo = body.DelegateTo,
                OnBehalfOf = body.OnBehalfOf,
                PayloadHash = body.PayloadHash,
            });
            return Results.Ok(ReviewDocument.From(result));
        });

    private static async Task<IResult> BatchAsync(BatchBody body, ClaimsPrincipal user, IGrainFactory grains) =>
        await Guard(async () =>
        {
            if (body.Action is null)
            {
                return Invalid("action", "is required: approve, reject or delegate");
            }

            if (!TryParseDecision(body.Action, out var decision) || decision is not (ReviewDecision.Approve or ReviewDecision.Reject or ReviewDecision.Delegate))
            {
                return Invalid("action", $"a batch may only approve, reject or delegate (got '{body.Action}')");
            }

            var reviewer = Principal(user);
            var batch = new BatchReview
            {
                IntentIds = body.IntentIds ?? [],
                Decision = decision,
                Reason = body.Reason,
                ContinueOnError = body.ContinueOnError ?? false,
                DelegateTo = body.DelegateTo,
            };
            var result = await BatchReviews.RunAsync(batch, (id, action) => grains.GetGrain<IWriteIntentGrain>(id).Review(reviewer, action));
            return Results.Ok(new BatchDocument(
                result.Applied,
                result.Failed,
                result.Items.Count(i => i.Status == BatchItemStatus.Skipped),
                result.Items.Select(i => new BatchItemDocument(
                    i.IntentId, Snake(i.Status.ToString()), i.Error, i.Message, i.Result is null ? null : ReviewDocument.From(i.Result))).ToList()));
        });

    /// <summary>Runs a handler, turning the intents' typed refusals into problem JSON.</summary>
    private static async Task<IResult> Guard(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (IntentValidationException ex)
        {
            return Invalid(FieldName(ex.Field), ex.Rule);
        }
        catch (IntentNotFoundException ex)
        {
            return Problem(StatusCodes.Status404NotFound, NotFoundType, "intent not found", ex.Message);
        }
        catch (IntentConflictException ex)
        {
            return Problem(StatusCodes.Status409Conflict, ConflictType, "idempotency key reused", ex.Message, "idempotency_key",
                new Dictionary<string, object?> { ["intent_id"] = ex.IntentId, ["existing_hash"] = ex.ExistingHash, ["proposed_hash"] = ex.ProposedHash });
        }
        catch (IllegalTransitionException ex)
        {
            return Problem(StatusCodes.Status409Conflict, IllegalTransitionType, "not allowed in this phase", ex.Message, null,
                new Dictionary<string, object?> { ["intent_id"] = ex.IntentId, ["phase"] = ex.Current.Wire() });
        }
        catch (ReviewRefusedException ex)
        {
            var status = ex.Refusal is ReviewRefusal.SelfApproval or ReviewRefusal.NotReviewer
                ? StatusCodes.Status403Forbidden
                : StatusCodes.Status409Conflict;
            return Problem(status, ReviewRefusedType, "review refused", ex.Message, null,
                new Dictionary<string, object?> { ["intent_id"] = ex.IntentId, ["refusal"] = Snake(ex.Refusal.ToString()) });
        }
        catch (IntentForbiddenException ex)
        {
            return Problem(StatusCodes.Status403Forbidden, ForbiddenType, "forbidden", ex.Message, null,
                new Dictionary<string, object?> { ["intent_id"] = ex.IntentId });
        }
    }

    /// <summary>The JSON field name for a .NET member named by <see cref="IntentValidationException.Field"/>.</summary>
    internal static string FieldName(string member) => member switch
    {
        nameof(ProposeRequest.ApprovalTimeout) => "approval_timeout_seconds",
        nameof(BatchReview.Decision) or nameof(ReviewAction.Decision) => "action",
        _ => Snake(member),
    };

    internal static bool TryParseDecision(string text, out ReviewDecision decision)
    {
        decision = text.ToLowerInvariant() switch
        {
            "approve" => ReviewDecision.Approve,
            "reject" => ReviewDecision.Reject,
            "request_changes" => ReviewDecision.RequestChanges,
            "delegate" => ReviewDecision.Delegate,
            _ => (ReviewDecision)(-1),
        };
        return Enum.IsDefined(decision);
    }

    internal static string Snake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    /// <summary>JSON text as a JSON value; anything else as a JSON string.</summary>
    internal static JsonElement? ParseOrText(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text);
        }
    }

    private static TimeSpan? Seconds(double? value) =>
        value is { } s && double.IsFinite(s) && s >= 0 && s <= 366 * 86_400 ? TimeSpan.FromSeconds(s) : value is null ? null : TimeSpan.Zero;

    private static IResult Invalid(string field, string rule) => Results.ValidationProblem(
        new Dictionary<string, string[]> { [field] = [rule] },
        detail: $"{field}: {rule}",
        title: "invalid intent request",
        extensions: new Dictionary<string, object?> { ["field"] = field });

    private static IResult Problem(int status, string type, string title, string detail, string? field = null, Dictionary<string, object?>? extensions = null)
    {
        extensions ??= [];
        if (field is not null)
        {
            extensions["field"] = field;
        }

        return Results.Problem(statusCode: status, type: type, title: title, detail: detail, extensions: extensions);
    }

    private static string Principal(ClaimsPrincipal user) => user.Identity?.Name ?? "";

    private static string IntentUrl(string id) => $"{BatonApi.Root}{Path}/{Uri.EscapeDataString(id)}";
}

/// <summary>The body of <c>POST /api/v1/intents</c>. <c>payload</c> is any JSON value (default <c>{}</c>).</summary>
public sealed record ProposeBody(
    string? InterfaceKey,
    string? Operation,
    string? ResourceRef,
    JsonElement? Payload,
    string? RequestedBy,
    string? Description,
    IReadOnlyList<string>? Tags,
    string? TicketRef,
    FenceBody? Fence,
    RetryPolicyBody? RetryPolicy,
    double? ApprovalTimeoutSeconds,
    string? IdempotencyKey);

public sealed record FenceBody(string? LockKey, long? Token);

public sealed record RetryPolicyBody(int? MaxAttempts, double? InitialDelaySeconds, double? Backoff, double? MaxDelaySeconds);

public sealed record CancelBody(string? Reason);

public sealed record ReviseBody(JsonElement? Payload, string? Description, string? Reason);

/// <summary>The body of <c>POST /api/v1/approvals/{intent_id}/respond</c>; the reviewer is the caller.</summary>
public sealed record RespondBody(string? Action, string? Reason, string? DelegateTo, string? OnBehalfOf, string? PayloadHash);

/// <summary>The body of <c>POST /api/v1/approvals/batch</c>; the reviewer is the caller.</summary>
public sealed record BatchBody(IReadOnlyList<string>? IntentIds, string? Action, string? Reason, bool? ContinueOnError, string? DelegateTo = null);

public sealed record PreviewDocument(string IntentId, string Summary, JsonElement? Detail);

public sealed record RiskFactorDocument(string Name, int Weight, int Contribution, string Detail);

public sealed record RiskDocument(int Score, string Level, IReadOnlyList<RiskFactorDocument> Factors);

public sealed record RequirementDocument(int ApprovalsNeeded, IReadOnlyList<string> ReviewerGroups, IReadOnlyList<string> Reviewers, bool AutoApproved, string Basis);

public sealed record ReviewRecordDocument(string Reviewer, string CastBy, string Decision, string? Reason, string? DelegateTo, DateTimeOffset At, int Revision, string PayloadHash, IReadOnlyList<string> Via)
{
    public static ReviewRecordDocument From(ReviewRecord r) =>
        new(r.Reviewer, r.CastBy, IntentEndpoints.Snake(r.Decision.ToString()), r.Reason, r.DelegateTo, r.At, r.Revision, r.PayloadHash, r.Via);
}

public sealed record AttemptDocument(int Number, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string? Outcome, string? Detail, int? StatusCode, string? Reason);

public sealed record OutcomeDocument(string Phase, string Reason, string? Detail, DateTimeOffset At, string? Actor);

public sealed record PhaseChangeDocument(string From, string To, DateTimeOffset At, string? Actor, string? Reason);

public sealed record DelegationDocument(string From, string To, string Seat, int Revision, string? Reason, DateTimeOffset At);

public sealed record FenceDocument(string LockKey, long Token);

/// <summary>An intent as <c>GET /api/v1/intents/{id}</c> shows it.</summary>
public sealed record IntentDocument(
    string Id,
    string InterfaceKey,
    string Operation,
    string ResourceRef,
    JsonElement? Payload,
    string PayloadHash,
    string RequestedBy,
    string? Description,
    IReadOnlyList<string> Tags,
    string? TicketRef,
    FenceDocument? Fence,
    int Revision,
    DateTimeOffset ProposedAt,
    string Phase,
    RiskDocument Risk,
    RequirementDocument Requirement,
    IReadOnlyList<ReviewRecordDocument> Approvals,
    int ApprovalsCounted,
    IReadOnlyList<AttemptDocument> Attempts,
    OutcomeDocument? Outcome,
    DateTimeOffset? ApprovalDeadline,
    DateTimeOffset? NextAttemptAt,
    IReadOnlyList<PhaseChangeDocument> PhaseHistory,
    IReadOnlyList<DelegationDocument> Delegations)
{
    public static IntentDocument From(IntentView v)
    {
        var i = v.Intent;
        return new IntentDocument(
            i.Id,
            i.InterfaceKey,
            i.Operation,
            i.ResourceRef,
            IntentEndpoints.ParseOrText(i.Payload),
            i.PayloadHash,
            i.RequestedBy,
            i.Description,
            i.Tags,
            i.TicketRef,
            i.Fence is null ? null : new FenceDocument(i.Fence.LockKey, i.Fence.Token),
            i.Revision,
            i.ProposedAt,
            v.Phase.Wire(),
            new RiskDocument(v.Risk.Score, IntentEndpoints.Snake(v.Risk.Level.ToString()),
                v.Risk.Factors.Select(f => new RiskFactorDocument(f.Name, f.Weight, f.Contribution, f.Detail)).ToList()),
            new RequirementDocument(v.Requirement.ApprovalsNeeded, v.Requirement.ReviewerGroups, v.Requirement.Reviewers, v.Requirement.AutoApproved, v.Requirement.Basis),
            v.Approvals.Select(ReviewRecordDocument.From).ToList(),
            v.ApprovalsCounted,
            v.Attempts.Select(a => new AttemptDocument(a.Number, a.StartedAt, a.EndedAt,
                a.Outcome is { } o ? IntentEndpoints.Snake(o.ToString()) : null, a.Detail, a.StatusCode, a.Reason)).ToList(),
            v.Outcome is { } outcome ? new OutcomeDocument(outcome.Phase.Wire(), outcome.Reason, outcome.Detail, outcome.At, outcome.Actor) : null,
            v.ApprovalDeadline,
            v.NextAttemptAt,
            v.PhaseHistory.Select(p => new PhaseChangeDocument(p.From.Wire(), p.To.Wire(), p.At, p.Actor, p.Reason)).ToList(),
            v.Delegations.Select(d => new DelegationDocument(d.From, d.To, d.Seat, d.Revision, d.Reason, d.At)).ToList());
    }
}

/// <summary>What a review did.</summary>
public sealed record ReviewDocument(string IntentId, string Phase, int ApprovalsCounted, int ApprovalsNeeded, ReviewRecordDocument Record)
{
    public static ReviewDocument From(ReviewResult r) =>
        new(r.IntentId, r.Phase.Wire(), r.ApprovalsCounted, r.ApprovalsNeeded, ReviewRecordDocument.From(r.Record));
}

public sealed record BatchItemDocument(string IntentId, string Status, string? Error, string? Message, ReviewDocument? Result);

public sealed record BatchDocument(int Applied, int Failed, int Skipped, IReadOnlyList<BatchItemDocument> Items);

/// <summary>An intent waiting for a vote; <c>open_to_anyone</c> when it came from the <c>*</c> index.</summary>
public sealed record PendingApprovalDocument(
    string IntentId, int Revision, string RequestedBy, string Operation, string ResourceRef, string RiskLevel, int RiskScore,
    DateTimeOffset RequestedAt, DateTimeOffset Deadline, string? OnBehalfOf, bool OpenToAnyone)
{
    public static PendingApprovalDocument From(PendingApproval p, bool open) => new(
        p.IntentId, p.Revision, p.RequestedBy, p.Operation, p.ResourceRef, IntentEndpoints.Snake(p.RiskLevel.ToString()), p.RiskScore,
        p.RequestedAt, p.Deadline, p.OnBehalfOf, open);
}

public sealed record ApprovalPageDocument(string Reviewer, int Page, int Limit, int Total, IReadOnlyList<PendingApprovalDocument> Items);

/// <summary>One intent in a list: enough to pick it; <c>GET /api/v1/intents/{id}</c> has the rest.</summary>
public sealed record IntentSummaryDocument(
    string Id, string Phase, string RequestedBy, string InterfaceKey, string Operation, string ResourceRef, string RiskLevel, int RiskScore,
    int Revision, DateTimeOffset ProposedAt, DateTimeOffset UpdatedAt)
{
    public static IntentSummaryDocument From(IntentSummary s) => new(
        s.IntentId, s.Phase.Wire(), s.RequestedBy, s.InterfaceKey, s.Operation, s.ResourceRef, IntentEndpoints.Snake(s.RiskLevel.ToString()), s.RiskScore,
        s.Revision, s.ProposedAt, s.UpdatedAt);
}

/// <summary>A page of <c>GET /api/v1/intents</c>, with the filters it was cut with.</summary>
public sealed record IntentListDocument(string? Phase, string? RequestedBy, int Page, int Limit, int Total, IReadOnlyList<IntentSummaryDocument> Items);
