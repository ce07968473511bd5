using System.Text.Json;
using Baton.Contracts.Entities;
using Baton.Contracts.Intents;

namespace Baton.Grains.Intents.Executors;

/// <summary>
/// Writes a Baton entity. The resource ref is <c>entity:&lt;kind&gt;/&lt;id&gt;</c>; the operation is <c>patch</c>
/// (payload <c>{ "patch": {...} }</c>, a JSON merge patch), <c>set</c> (payload <c>{ "state": {...} }</c>, the whole
/// state) or <c>delete</c>; <c>expected_version</c> and <c>run_id</c> are optional. The write carries the intent's
/// idempotency key as its request id, so a repeated attempt returns the first answer instead of writing again.
/// </summary>
public sealed class EntityWriteExecutor(IGrainFactory grains) : IWriteExecutor
{
    public const string Key = "entity";

    public string InterfaceKey => Key;

    public Task<ExecutionPreview> PreviewAsync(Intent intent, CancellationToken ct)
    {
        var write = Parse(intent);
        return Task.FromResult(new ExecutionPreview
        {
            Summary = $"{write.Operation} entity {write.EntityKey}" + (write.ExpectedVersion is { } v ? $" at version {v}" : ""),
            Detail = JsonSerializer.Serialize(new { entity = write.EntityKey, operation = write.Operation, patch = write.Patch, state = write.State, expected_version = write.ExpectedVersion }),
        });
    }

    public async Task<ExecutionResult> ExecuteAsync(Intent intent, string idempotencyKey, CancellationToken ct)
    {
        EntityWrite write;
        try
        {
            write = Parse(intent);
        }
        catch (IntentValidationException ex)
        {
            return new ExecutionResult { Outcome = ExecutionOutcome.PermanentFailure, Detail = ex.Message };
        }

        var entity = grains.GetGrain<IEntityGrain>(write.EntityKey);
        try
        {
            if (write.Operation == "delete")
            {
                var snapshot = await entity.Get().WaitAsync(ct);
                if (snapshot.Status != EntityStatus.Live)
                {
                    // Removed already (by an earlier attempt whose answer was lost, or by somebody else): the effect holds.
                    return new ExecutionResult { Outcome = ExecutionOutcome.Succeeded, Detail = $"entity {write.EntityKey} is not live ({snapshot.Status})" };
                }

                var removed = await entity.Remove(intent.RequestedBy, write.ExpectedVersion).WaitAsync(ct);
                return new ExecutionResult { Outcome = ExecutionOutcome.Succeeded, Detail = $"entity {write.EntityKey} removed at version {removed.Version}" };
            }

            var result = await entity.Mutate(new MutateRequest
            {
                Patch = write.Patch,
                State = write.State,
                ExpectedVersion = write.ExpectedVersion,
                Actor = intent.RequestedBy,
                RunId = write.RunId,
                RequestId = idempotencyKey,
            }).WaitAsync(ct);
            return new ExecutionResult
            {
                Outcome = ExecutionOutcome.Succeeded,
                Detail = $"entity {write.EntityKey} at version {result.Version}" + (result.Changed ? $" ({string.Join(", ", result.ChangedFields)} changed)" : " (no change)"),
            };
        }
        catch (Exception ex) when (ex is EntityKindNotDefinedException or EntitySchemaException or EntityValidationException or EntityVersionConflictException)
        {
            return new ExecutionResult { Outcome = ExecutionOutcome.PermanentFailure, Detail = ex.Message };
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            // The entity grain did not answer (timeout, silo going away): the write may or may not have happened, and
            // the request id makes trying again safe.
            return new ExecutionResult { Outcome = ExecutionOutcome.RetryableFailure, Detail = $"{ex.GetType().Name}: {ex.Message}" };
        }
    }

    private sealed record EntityWrite(string EntityKey, string Operation, string? Patch, string? State, long? ExpectedVersion, string? RunId);

    private static EntityWrite Parse(Intent intent)
    {
        const string prefix = "entity:";
        if (!intent.ResourceRef.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new IntentValidationException(nameof(ProposeRequest.ResourceRef), "an entity write's resource ref is 'entity:<kind>/<id>'");
        }

        var key = intent.ResourceRef[prefix.Length..];
        try
        {
            EntityKey.Parse(key);
        }
        catch (EntityValidationException ex)
        {
            throw new IntentValidationException(nameof(ProposeRequest.ResourceRef), ex.Message);
        }

        using var document = JsonDocument.Parse(intent.Payload);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new IntentValidationException(nameof(ProposeRequest.Payload), "an entity write's payload is an object");
        }

        string? Member(string name, JsonValueKind kind) =>
            root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
                ? value.ValueKind == kind ? value.GetRawText() : throw new IntentValidationException(nameof(ProposeRequest.Payload), $"'{name}' must be a JSON {kind.ToString().ToLowerInvariant()}")
                : null;

        var patch = Member("patch", JsonValueKind.Object);
        var state = Member("state", JsonValueKind.Object);
        long? expected = root.TryGetProperty("expected_version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
        var runId = root.TryGetProperty("run_id", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        var operation = intent.Operation switch
        {
            "delete" or "remove" => "delete",
            "set" or "replace" or "put" => state is null ? throw new IntentValidationException(nameof(ProposeRequest.Payload), "a set needs 'state'") : "set",
            _ => patch is null ? throw new IntentValidationException(nameof(ProposeRequest.Payload), "a patch needs 'patch' (or use operation 'set' with 'state')") : "patch",
        };
        return new EntityWrite(key, operation, operation == "patch" ? patch : null, operation == "set" ? state : null, expected, runId);
    }
}
