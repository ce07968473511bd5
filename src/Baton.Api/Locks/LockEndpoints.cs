using System.Globalization;
using System.Security.Claims;
using Baton.Contracts.Locks;
using Baton.Contracts.Owners;
using Baton.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Baton.Api.Locks;

/// <summary>
/// <c>/api/v1/locks</c>: acquire, heartbeat and release leases, look at a lock, an owner's locks and recent deadlocks.
/// </summary>
/// <remarks>
/// <para>Who acts: an agent acts for itself. <c>owner</c> defaults to the authenticated principal and must equal it
/// unless the caller is an admin (403 otherwise), so one agent's key cannot heartbeat, release or queue in another's
/// name. Admins may act for any owner, and only admins may <c>force</c> a release (recorded with the admin's name).</para>
/// <para>Waiting: <c>wait_for_available: true</c> queues the request for <c>queue_ttl_seconds</c> (default and
/// maximum 300) and holds the HTTP call for at most <c>max_wait_seconds</c> (default 0). Granted by then: 201.
/// Otherwise 202 with the <c>queue_position</c>: the request stays queued, its grant is a <c>lock.acquired</c> event
/// carrying the <c>request_id</c>, and <c>GET /api/v1/locks/requests/{request_id}</c> follows it. The request id is
/// registered in a request → key index (<see cref="ILockRequestGrain"/>) before it is queued, so the status
/// route needs no key; request ids are therefore global: one id, one request on one key.</para>
/// <para>Errors are RFC 9457 problem JSON: 400 names the offending field in <c>errors</c> and <c>field</c>
/// (snake_case, as sent), 403 not the holder or not allowed, 404 unknown or ended lease, 423 not available.</para>
/// </remarks>
public static class LockEndpoints
{
    public const string Path = "/locks";

    /// <summary>How long a request that asked to wait stays queued unless <c>queue_ttl_seconds</c> says otherwise.</summary>
    public static readonly TimeSpan DefaultQueueTtl = LockLimits.MaxWait;

    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    public const string NotAvailableType = "https://baton.dev/problems/lock-not-available";
    public const string DeadlockType = "https://baton.dev/problems/lock-deadlock";
    public const string NotHolderType = "https://baton.dev/problems/not-lock-holder";
    public const string LeaseNotFoundType = "https://baton.dev/problems/lease-not-found";
    public const string ForbiddenOwnerType = "https://baton.dev/problems/owner-not-caller";

    internal static RouteGroupBuilder MapLocks(this RouteGroupBuilder api)
    {
        var locks = api.MapGroup(Path).WithTags("Locks");

        locks.MapPost("/acquire", AcquireAsync)
            .RequireAuthorization(BatonPolicies.Agent)
            .WithName("AcquireLock")
            .WithSummary("Acquire a lock: 201 with the lease, 423 when it is not available, 202 when the request waits in the queue.")
            .WithDescription(
                "mode: exclusive (default) or shared. ttl_seconds 5–300 (default 30). priority 0–100. " +
                "wait_for_available (default false): queue the request for queue_ttl_seconds (default 300) and hold this call for at most " +
                "max_wait_seconds (default 0); still queued then: 202 with queue_position, and the later grant is a lock.acquired event " +
                "carrying request_id and GET /api/v1/locks/requests/{request_id}. owner defaults to the caller; only admins act for others. " +
                "A retry with the same request_id gets the same outcome and never a second lease.")
            .Accepts<AcquireLockBody>("application/json")
            .Produces<GrantedLease>(StatusCodes.Status201Created)
            .Produces<QueuedRequest>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status423Locked);

        locks.MapPost("/heartbeat", HeartbeatAsync)
            .RequireAuthorization(BatonPolicies.Agent)
            .WithName("HeartbeatLease")
            .WithSummary("Extend a lease to now + ttl_seconds: 200 with the new expires_at, 404 unknown or ended, 403 not the holder.")
            .Accepts<HeartbeatBody>("application/json")
            .Produces<HeartbeatResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        locks.MapPost("/release", ReleaseAsync)
            .RequireAuthorization(BatonPolicies.Agent)
            .WithName("ReleaseLease")
            .WithSummary("Release a lease (204); force: true releases anyone's lease and needs the admin role and a reason.")
            .Accepts<ReleaseBody>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        locks.MapGet("/", ListAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("ListOwnerLocks")
            .WithSummary("The locks an owner holds and waits for (owner defaults to the caller), optionally only keys starting with key_prefix.")
            .WithDescription("From the owner index, fed by the locks event stream: it trails the locks by the stream's delay.")
            .Produces<OwnerLocksDocument>()
            .ProducesValidationProblem();

        locks.MapGet("/deadlocks", DeadlocksAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("RecentDeadlocks")
            .WithSummary("Recently broken deadlocks, oldest first: the cycle and the victim whose wait ended.")
            .Produces<IReadOnlyList<DeadlockDocument>>();

        locks.MapGet("/requests/{requestId}", RequestStatusAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("LockRequestStatus")
            .WithSummary("What became of an acquire request: queued (with queue_position), acquired (with the lease as granted), timed_out, unavailable or deadlock.")
            .Produces<RequestStatusDocument>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        // Catch-all so keys with '/' (repo:acme/web) route as typed; literal routes above win over it.
        locks.MapGet("/{**key}", DescribeAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("DescribeLock")
            .WithSummary("A lock's holders, its wait queue in grant order, its last fencing token and recently ended leases.")
            .Produces<LockDocument>()
            .ProducesValidationProblem();
        return api;
    }

    private static async Task<IResult> AcquireAsync(AcquireLockBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        return await Guard(async () =>
        {
            if (Check(body.Key is null ? "is required" : LockKey.Problem(body.Key), "key") is { } badKey)
            {
                return badKey;
            }

            if (ActingOwner(user, body.Owner, out var owner) is { } forbidden)
            {
                return forbidden;
            }

            var mode = LockMode.Exclusive;
            if (body.Mode is not null && !TryParseMode(body.Mode, out mode))
            {
                return Invalid("mode", $"must be exclusive or shared (got '{body.Mode}')");
            }

            var wait = body.WaitForAvailable ?? false;
            if (!wait && body.MaxWaitSeconds is not null)
            {
                return Invalid("max_wait_seconds", "applies only with wait_for_available: true");
            }

            if (!wait && body.QueueTtlSeconds is not null)
            {
                return Invalid("queue_ttl_seconds", "applies only with wait_for_available: true");
            }

            if (Seconds(body.TtlSeconds, "ttl_seconds", out var ttl, DefaultTtl) is { } badTtl)
            {
                return badTtl;
            }

            if (Seconds(body.QueueTtlSeconds, "queue_ttl_seconds", out var queueTtl, wait ? DefaultQueueTtl : TimeSpan.Zero) is { } badQueueTtl)
            {
                return badQueueTtl;
            }

            if (Seconds(body.MaxWaitSeconds, "max_wait_seconds", out var replyWithin, TimeSpan.Zero) is { } badWait)
            {
                return badWait;
            }

            var request = new AcquireRequest
            {
                Owner = owner,
                Mode = mode,
                Ttl = ttl,
                Priority = body.Priority ?? 0,
                MaxWait = queueTtl,
                ReplyWithin = wait ? replyWithin : null,
                Purpose = body.Purpose,
                RequestId = string.IsNullOrEmpty(body.RequestId) ? Guid.NewGuid().ToString("N") : body.RequestId,
            };
            request.Validate();
            if (wait)
            {
                // Indexed before it can be queued: whoever is told 202 can find the request by its id alone.
                await grains.GetGrain<ILockRequestGrain>(request.RequestId).Register(body.Key!, owner);
            }

            var outcome = await grains.GetGrain<ILockGrain>(body.Key!).Acquire(request);
            return outcome.Outcome switch
            {
                LockOutcome.Acquired => Results.Created(LockUrl(body.Key!), GrantedLease.From(outcome.Lease!, outcome.RequestId)),
                LockOutcome.Queued => Results.Accepted(RequestUrl(outcome.RequestId), new QueuedRequest(
                    outcome.RequestId, body.Key!, "queued", outcome.QueuePosition ?? 0, RequestUrl(outcome.RequestId))),
                LockOutcome.Deadlock => Problem(StatusCodes.Status409Conflict, DeadlockType, "deadlock", outcome.Detail, outcome),
                _ => Problem(StatusCodes.Status423Locked, NotAvailableType, "lock not available", outcome.Detail, outcome),
            };
        });
    }

    private static async Task<IResult> HeartbeatAsync(HeartbeatBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        return await Guard(async () =>
        {
            if (ActingOwner(user, body.Owner, out var owner) is { } forbidden)
            {
                return forbidden;
            }

            if (Seconds(body.TtlSeconds, "ttl_seconds", out var ttl, DefaultTtl) is { } badTtl)
            {
                return badTtl;
            }

            if (LockOf(body.LeaseId, grains) is not { } lockGrain)
            {
                return UnknownLease(body.LeaseId);
            }

            var result = await lockGrain.Heartbeat(body.LeaseId!, owner, ttl);
            return Results.Ok(new HeartbeatResponse(result.LeaseId, result.FencingToken, result.ExpiresAt));
        });
    }

    private static async Task<IResult> ReleaseAsync(ReleaseBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        return await Guard(async () =>
        {
            var force = body.Force ?? false;
            if (force && !user.IsInRole(BatonRoles.Admin))
            {
                return Problem(StatusCodes.Status403Forbidden, ForbiddenOwnerType, "forbidden",
                    "force: true releases another owner's lease and needs the admin role.");
            }

            string owner = "";
            if (!force && ActingOwner(user, body.Owner, out owner) is { } forbidden)
            {
                return forbidden;
            }

            if (LockOf(body.LeaseId, grains) is not { } lockGrain)
            {
                return UnknownLease(body.LeaseId);
            }

            if (force)
            {
                await lockGrain.ForceRelease(body.LeaseId!, Principal(user), body.Reason!);
            }
            else
            {
                await lockGrain.Release(body.LeaseId!, owner, body.Reason);
            }

            return Results.NoContent();
        });
    }

    private static async Task<IResult> ListAsync(ClaimsPrincipal user, IGrainFactory grains, [FromQuery] string? owner, [FromQuery(Name = "key_prefix")] string? keyPrefix)
    {
        owner ??= Principal(user);
        if (string.IsNullOrWhiteSpace(owner) || owner.Length > LockLimits.MaxOwnerLength)
        {
            return Invalid("owner", $"must be 1–{LockLimits.MaxOwnerLength} characters");
        }

        var locks = await grains.GetGrain<IOwnerGrain>(owner).GetLocks();
        bool Matches(string key) => keyPrefix is null || key.StartsWith(keyPrefix, StringComparison.Ordinal);
        return Results.Ok(new OwnerLocksDocument(
            locks.Owner,
            locks.Held.Where(l => Matches(l.Key)).Select(LeaseDocument.From).ToList(),
            locks.Waiting.Where(w => Matches(w.Key))
                .Select(w => new OwnerWaitDocument(w.Key, w.RequestId, ModeName(w.Mode), w.Priority, w.EnqueuedAt, w.Deadline)).ToList()));
    }

    private static async Task<IResult> DescribeAsync(string key, IGrainFactory grains)
    {
        // Kestrel leaves an encoded '/' encoded in the path; a key may be sent either way.
        key = key.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (Check(LockKey.Problem(key), "key") is { } badKey)
        {
            return badKey;
        }

        var description = await grains.GetGrain<ILockGrain>(key).Describe();
        return Results.Ok(LockDocument.From(description));
    }

    private static async Task<IResult> DeadlocksAsync(IGrainFactory grains)
    {
        var cycles = await grains.GetGrain<IDeadlockDetectorGrain>(IDeadlockDetectorGrain.ClusterKey).GetRecentDeadlocks();
        return Results.Ok(cycles.Select(DeadlockDocument.From).ToList());
    }

    private static async Task<IResult> RequestStatusAsync(string requestId, IGrainFactory grains)
    {
        return await Guard(async () =>
        {
            LockLimits.CheckText("RequestId", requestId, LockLimits.MaxRequestIdLength);
            var index = grains.GetGrain<ILockRequestGrain>(requestId);
            if (await index.GetKey() is not { } key)
            {
                return Problem(StatusCodes.Status404NotFound, null, "request not found",
                    $"no waiting acquire request '{requestId}' is known (only requests sent with wait_for_available: true are indexed).");
            }

            if (await grains.GetGrain<ILockGrain>(key).RequestStatus(requestId) is not { } status)
            {
                // The lock has forgotten it (ended requests are remembered for minutes): so may the index.
                await index.Forget();
                return Problem(StatusCodes.Status404NotFound, null, "request not found",
                    $"request '{requestId}' on {key} ended long enough ago to be forgotten.");
            }

            return Results.Ok(RequestStatusDocument.From(key, status));
        });
    }

    /// <summary>Runs a handler, turning the locks' typed refusals into problem JSON.</summary>
    private static async Task<IResult> Guard(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (LockRequestException ex)
        {
            return Invalid(FieldName(ex.Field), ex.Rule);
        }
        catch (LeaseNotFoundException ex)
        {
            return Problem(StatusCodes.Status404NotFound, LeaseNotFoundType, "lease not found", ex.Message,
                extensions: ex.EndedAs is { } ended ? new Dictionary<string, object?> { ["ended_as"] = Snake(ended.ToString()) } : null);
        }
        catch (NotLockHolderException ex)
        {
            return Problem(StatusCodes.Status403Forbidden, NotHolderType, "not the holder", ex.Message);
        }
    }

    /// <summary>
    /// The owner the caller acts as: <paramref name="requested"/>, or the caller itself when absent. Agents act only
    /// for themselves; an admin may act for anyone.
    /// </summary>
    private static IResult? ActingOwner(ClaimsPrincipal user, string? requested, out string owner)
    {
        var principal = Principal(user);
        owner = string.IsNullOrEmpty(requested) ? principal : requested;
        if (owner != principal && !user.IsInRole(BatonRoles.Admin))
        {
            return Problem(StatusCodes.Status403Forbidden, ForbiddenOwnerType, "forbidden",
                $"owner '{owner}' is not the caller '{principal}': agents act for themselves; only admins act for other owners.",
                extensions: new Dictionary<string, object?> { ["field"] = "owner" });
        }

        return null;
    }

    private static ILockGrain? LockOf(string? leaseId, IGrainFactory grains) =>
        LockLeaseId.TryGetKey(leaseId, out var key) ? grains.GetGrain<ILockGrain>(key) : null;

    private static IResult UnknownLease(string? leaseId) => string.IsNullOrEmpty(leaseId)
        ? Invalid("lease_id", "is required")
        : Problem(StatusCodes.Status404NotFound, LeaseNotFoundType, "lease not found", $"'{leaseId}' is not a lease id this cluster issued.");

    private static IResult? Check(string? problem, string field) => problem is null ? null : Invalid(field, problem);

    private static IResult? Seconds(double? value, string field, out TimeSpan span, TimeSpan fallback)
    {
        span = fallback;
        if (value is null)
        {
            return null;
        }

        if (!double.IsFinite(value.Value) || value.Value < 0 || value.Value > 86_400)
        {
            return Invalid(field, $"must be a number of seconds (got {value.Value.ToString(CultureInfo.InvariantCulture)})");
        }

        span = TimeSpan.FromSeconds(value.Value);
        return null;
    }

    private static IResult Invalid(string field, string rule) => Results.ValidationProblem(
        new Dictionary<string, string[]> { [field] = [rule] },
        detail: $"{field}: {rule}",
        title: "invalid lock request",
        extensions: new Dictionary<string, object?> { ["field"] = field });

    private static IResult Problem(int status, string? type, string title, string? detail, AcquireOutcome? outcome = null,
        IDictionary<string, object?>? extensions = null)
    {
        extensions ??= new Dictionary<string, object?>();
        if (outcome is not null)
        {
            extensions["outcome"] = Snake(outcome.Outcome.ToString());
            extensions["request_id"] = outcome.RequestId;
        }

        return Results.Problem(statusCode: status, type: type, title: title, detail: detail, extensions: extensions);
    }

    /// <summary>The JSON field name for a .NET member named by <see cref="LockRequestException.Field"/>.</summary>
    internal static string FieldName(string member) => member switch
    {
        nameof(AcquireRequest.Ttl) => "ttl_seconds",
        nameof(AcquireRequest.MaxWait) => "queue_ttl_seconds",
        nameof(AcquireRequest.ReplyWithin) => "max_wait_seconds",
        "Admin" => "owner",
        _ => Snake(member),
    };

    internal static bool TryParseMode(string text, out LockMode mode)
    {
        mode = text.ToLowerInvariant() switch { "exclusive" => LockMode.Exclusive, "shared" => LockMode.Shared, _ => (LockMode)(-1) };
        return Enum.IsDefined(mode);
    }

    internal static string ModeName(LockMode mode) => mode == LockMode.Shared ? "shared" : "exclusive";

    private static string Snake(string name) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name);

    private static string Principal(ClaimsPrincipal user) => user.Identity?.Name ?? "";

    private static string LockUrl(string key) => $"{BatonApi.Root}{Path}/{Uri.EscapeDataString(key).Replace("%2F", "/", StringComparison.Ordinal)}";

    private static string RequestUrl(string requestId) => $"{BatonApi.Root}{Path}/requests/{Uri.EscapeDataString(requestId)}";
}

/// <summary>The body of <c>POST /api/v1/locks/acquire</c>; absent fields take their defaults.</summary>
public sealed record AcquireLockBody(
    string? Key,
    string? Owner,
    string? Mode,
    double? TtlSeconds,
    int? Priority,
    string? Purpose,
    string? RequestId,
    bool? WaitForAvailable,
    double? MaxWaitSeconds,
    double? QueueTtlSeconds);

public sealed record HeartbeatBody(string? LeaseId, string? Owner, double? TtlSeconds);

public sealed record ReleaseBody(string? LeaseId, string? Owner, bool? Force, string? Reason);

public sealed record LeaseDocument(string LeaseId, string Key, string Owner, string Mode, long FencingToken, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt)
{
    public static LeaseDocument From(LockLease lease) => new(
        lease.LeaseId, lease.Key, lease.Owner, LockEndpoints.ModeName(lease.Mode), lease.FencingToken, lease.AcquiredAt, lease.ExpiresAt);
}

/// <summary>201: the lease and the request that won it.</summary>
public sealed record GrantedLease(string LeaseId, string Key, string Owner, string Mode, long FencingToken, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt, string RequestId)
{
    public static GrantedLease From(LockLease lease, string requestId) => new(
        lease.LeaseId, lease.Key, lease.Owner, LockEndpoints.ModeName(lease.Mode), lease.FencingToken, lease.AcquiredAt, lease.ExpiresAt, requestId);
}

/// <summary>202: the request waits at <see cref="QueuePosition"/> (1 is next) until granted or until its queue_ttl_seconds pass (the queue entry's deadline is in <c>GET /api/v1/locks/{key}</c>).</summary>
public sealed record QueuedRequest(string RequestId, string Key, string State, int QueuePosition, string StatusUrl);

public sealed record HeartbeatResponse(string LeaseId, long FencingToken, DateTimeOffset ExpiresAt);

public sealed record RequestStatusDocument(string RequestId, string Key, string State, int? QueuePosition, LeaseDocument? Lease, string? Detail)
{
    public static RequestStatusDocument From(string key, AcquireOutcome status) => new(
        status.RequestId,
        key,
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(status.Outcome.ToString()),
        status.QueuePosition,
        status.Lease is null ? null : LeaseDocument.From(status.Lease),
        status.Detail);
}

public sealed record HolderDocument(string LeaseId, string Key, string Owner, string Mode, long FencingToken, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt, string RequestId, int Priority, string? Purpose);

public sealed record QueueEntryDocument(int Position, string Owner, string Mode, int Priority, double EffectivePriority, DateTimeOffset EnqueuedAt, DateTimeOffset Deadline, string RequestId, string? Purpose);

public sealed record LeaseEndDocument(string LeaseId, string Owner, long FencingToken, string Kind, DateTimeOffset At, string? By, string? Reason);

public sealed record LockDocument(string Key, IReadOnlyList<HolderDocument> Holders, IReadOnlyList<QueueEntryDocument> Queue, long LastFencingToken, IReadOnlyList<LeaseEndDocument> RecentlyEnded)
{
    public static LockDocument From(LockDescription d) => new(
        d.Key,
        d.Holders.Select(h => new HolderDocument(h.Lease.LeaseId, h.Lease.Key, h.Lease.Owner, LockEndpoints.ModeName(h.Lease.Mode), h.Lease.FencingToken,
            h.Lease.AcquiredAt, h.Lease.ExpiresAt, h.RequestId, h.Priority, h.Purpose)).ToList(),
        d.Queue.Select(q => new QueueEntryDocument(q.Position, q.Owner, LockEndpoints.ModeName(q.Mode), q.Priority, q.EffectivePriority,
            q.EnqueuedAt, q.Deadline, q.RequestId, q.Purpose)).ToList(),
        d.LastFencingToken,
        d.RecentlyEnded.Select(e => new LeaseEndDocument(e.LeaseId, e.Owner, e.FencingToken,
            System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(e.Kind.ToString()), e.At, e.By, e.Reason)).ToList());
}

public sealed record OwnerWaitDocument(string Key, string RequestId, string Mode, int Priority, DateTimeOffset EnqueuedAt, DateTimeOffset Deadline);

public sealed record OwnerLocksDocument(string Owner, IReadOnlyList<LeaseDocument> Held, IReadOnlyList<OwnerWaitDocument> Waiting);

public sealed record WaitDocument(string Owner, string Key, string RequestId, int Priority, DateTimeOffset WaitingSince, IReadOnlyList<string> BlockedBy);

public sealed record DeadlockDocument(DateTimeOffset DetectedAt, string Description, WaitDocument Victim, IReadOnlyList<WaitDocument> Waits)
{
    public static DeadlockDocument From(DeadlockCycle cycle) => new(cycle.DetectedAt, cycle.Describe(), Wait(cycle.Victim), cycle.Waits.Select(Wait).ToList());

    private static WaitDocument Wait(LockWait w) => new(w.Owner, w.Key, w.RequestId, w.Priority, w.WaitingSince, w.BlockedBy);
}
