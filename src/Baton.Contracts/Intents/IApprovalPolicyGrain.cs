using Orleans.Concurrency;

namespace Baton.Contracts.Intents;

/// <summary>
/// The editable approval policy (and, optionally, risk rules) new proposals and revisions are decided under, keyed
/// <see cref="Key"/>. Until one is stored the silo's configured rules apply. Every replacement is validated whole and
/// gets the next version; an invalid one changes nothing.
/// </summary>
public interface IApprovalPolicyGrain : IGrainWithStringKey
{
    /// <summary>The one key in use.</summary>
    public const string Key = "current";

    /// <summary>The stored policy, or null when none was ever stored (the configured one applies).</summary>
    // Read-only (declared here, where Orleans reads it) so that the reads of every proposal in the cluster interleave.
    [ReadOnly]
    Task<StoredIntentPolicy?> Get();

    /// <summary>
    /// Replaces the stored policy and answers it with its new version. Throws <see cref="IntentValidationException"/>
    /// naming the first broken field, and <see cref="PolicyVersionConflictException"/> when
    /// <see cref="ReplaceIntentPolicy.ExpectedVersion"/> is set and is not the current version.
    /// </summary>
    Task<StoredIntentPolicy> Replace(ReplaceIntentPolicy request);
}

/// <summary>A stored approval policy, with risk rules when they were stored too.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.stored_policy")]
public sealed record StoredIntentPolicy
{
    /// <summary>1 for the first stored policy; one more per replacement.</summary>
    [Id(0)] public int Version { get; init; }

    [Id(1)] public ApprovalPolicyDefinition Approval { get; init; } = new();

    /// <summary>Null keeps the configured risk rules.</summary>
    [Id(2)] public RiskRuleSet? Risk { get; init; }

    [Id(3)] public DateTimeOffset UpdatedAt { get; init; }

    [Id(4)] public string UpdatedBy { get; init; } = "";
}

[GenerateSerializer, Immutable, Alias("baton.intents.replace_policy")]
public sealed record ReplaceIntentPolicy
{
    [Id(0)] public ApprovalPolicyDefinition Approval { get; init; } = new();

    /// <summary>Null keeps the configured risk rules.</summary>
    [Id(1)] public RiskRuleSet? Risk { get; init; }

    /// <summary>Who replaces it (the authenticated admin).</summary>
    [Id(2)] public string Actor { get; init; } = "";

    /// <summary>When set, the replacement applies only if this is the current version (0: none stored yet).</summary>
    [Id(3)] public int? ExpectedVersion { get; init; }
}

/// <summary>A policy replacement named a version that is not the current one; nothing was changed.</summary>
[GenerateSerializer, Alias("baton.intents.policy_version_conflict")]
public sealed class PolicyVersionConflictException : Exception
{
    public PolicyVersionConflictException()
    {
    }

    public PolicyVersionConflictException(string message) : base(message)
    {
    }

    public PolicyVersionConflictException(string message, Exception inner) : base(message, inner)
    {
    }

    public PolicyVersionConflictException(int expected, int current)
        : base($"The approval policy is at version {current}, not the expected {expected}; read it again and retry.")
    {
        Expected = expected;
        Current = current;
    }

    [Id(0)] public int Expected { get; private set; }

    [Id(1)] public int Current { get; private set; }
}
