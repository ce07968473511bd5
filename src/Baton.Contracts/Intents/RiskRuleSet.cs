namespace Baton.Contracts.Intents;

[GenerateSerializer, Alias("baton.intents.risk_rule_kind")]
public enum RiskRuleKind
{
    /// <summary>The resource type (the part of the resource ref before ':') matches one of the patterns.</summary>
    ResourceType = 0,

    /// <summary>The operation matches one of the patterns.</summary>
    Operation = 1,

    /// <summary>Grows linearly from nothing at <see cref="RiskRule.AboveBytes"/> to the full weight at <see cref="RiskRule.FullAtBytes"/>.</summary>
    PayloadSize = 2,

    /// <summary>The intent carries a tag matching one of the patterns.</summary>
    Tag = 3,

    /// <summary>The interface key (executor) matches one of the patterns.</summary>
    Interface = 4,
}

/// <summary>One scoring rule: adds up to <see cref="Weight"/> points when it matches.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.risk_rule")]
public sealed record RiskRule
{
    [Id(0)] public string Name { get; init; } = "";

    [Id(1)] public RiskRuleKind Kind { get; init; }

    /// <summary>0–100.</summary>
    [Id(2)] public int Weight { get; init; }

    /// <summary>Globs (<c>*</c>, <c>?</c>), case-insensitive; unused by <see cref="RiskRuleKind.PayloadSize"/>.</summary>
    [Id(3)] public IReadOnlyList<string> Patterns { get; init; } = [];

    [Id(4)] public int AboveBytes { get; init; }

    [Id(5)] public int FullAtBytes { get; init; }
}

/// <summary>Scoring rules and the score at which each level starts (Low below <see cref="MediumFrom"/>).</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.risk_rule_set")]
public sealed record RiskRuleSet
{
    [Id(0)] public IReadOnlyList<RiskRule> Rules { get; init; } = [];

    [Id(1)] public int MediumFrom { get; init; } = 25;

    [Id(2)] public int HighFrom { get; init; } = 50;

    [Id(3)] public int CriticalFrom { get; init; } = 75;
}

/// <summary>What one risk level needs.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.level_requirement")]
public sealed record LevelRequirement
{
    [Id(0)] public RiskLevel Level { get; init; }

    [Id(1)] public int Approvals { get; init; } = 1;

    /// <summary>Reviewer groups; empty means anybody but the requester.</summary>
    [Id(2)] public IReadOnlyList<string> ReviewerGroups { get; init; } = [];

    /// <summary>Approve without review; allowed for <see cref="RiskLevel.Low"/> only.</summary>
    [Id(3)] public bool AutoApprove { get; init; }

    /// <summary>Interface globs auto-approval is limited to; empty means every interface.</summary>
    [Id(4)] public IReadOnlyList<string> AutoApproveInterfaces { get; init; } = [];
}

/// <summary>A floor on approvals for operations matching <see cref="Operation"/> (a glob), whatever the risk level.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.operation_minimum")]
public sealed record OperationMinimum
{
    [Id(0)] public string Operation { get; init; } = "";

    [Id(1)] public int Approvals { get; init; } = 1;
}

/// <summary>Maps risk levels to approvals and reviewer groups; names the members of each group.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.approval_policy")]
public sealed record ApprovalPolicyDefinition
{
    /// <summary>One per level; a missing level needs one approval from anybody.</summary>
    [Id(0)] public IReadOnlyList<LevelRequirement> Levels { get; init; } = [];

    [Id(1)] public IReadOnlyList<OperationMinimum> OperationMinimums { get; init; } = [];

    /// <summary>Group name → member principals.</summary>
    [Id(2)] public IReadOnlyDictionary<string, IReadOnlyList<string>> Groups { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}
