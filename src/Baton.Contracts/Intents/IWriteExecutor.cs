namespace Baton.Contracts.Intents;

/// <summary>
/// A plug-in that performs approved writes for one <see cref="InterfaceKey"/> (e.g. <c>http</c>, <c>entity</c>). It must
/// pass <c>idempotencyKey</c> downstream so that a repeated attempt has one effect, and report what happened rather
/// than throw for failures of the remote side.
/// </summary>
public interface IWriteExecutor
{
    string InterfaceKey { get; }

    /// <summary>What <see cref="ExecuteAsync"/> would do, without doing it.</summary>
    Task<ExecutionPreview> PreviewAsync(Intent intent, CancellationToken ct);

    Task<ExecutionResult> ExecuteAsync(Intent intent, string idempotencyKey, CancellationToken ct);
}

[GenerateSerializer, Alias("baton.intents.execution_outcome")]
public enum ExecutionOutcome
{
    Succeeded = 0,

    /// <summary>Worth another attempt: 5xx, timeouts, connection errors.</summary>
    RetryableFailure = 1,

    /// <summary>Will fail again: 4xx, invalid payload.</summary>
    PermanentFailure = 2,
}

[GenerateSerializer, Immutable, Alias("baton.intents.execution_result")]
public sealed record ExecutionResult
{
    [Id(0)] public ExecutionOutcome Outcome { get; init; }

    [Id(1)] public string? Detail { get; init; }

    [Id(2)] public int? StatusCode { get; init; }
}

[GenerateSerializer, Immutable, Alias("baton.intents.execution_preview")]
public sealed record ExecutionPreview
{
    /// <summary>One line for people, e.g. <c>POST https://example.test/hooks (312 bytes)</c>.</summary>
    [Id(0)] public string Summary { get; init; } = "";

    /// <summary>Executor-specific detail as JSON text (secrets masked), or null.</summary>
    [Id(1)] public string? Detail { get; init; }
}
