namespace Baton.Contracts.Intents;

/// <summary>
/// Lets <see cref="Delegate"/> cast <see cref="Owner"/>'s vote on intents that meet every condition set here (unset
/// conditions match everything) until <see cref="ExpiresAt"/>. With <see cref="Cascade"/> the delegate's own matching
/// policies pass the seat on further, up to the configured depth.
/// </summary>
[GenerateSerializer, Immutable, Alias("baton.intents.delegation_policy")]
public sealed record DelegationPolicy
{
    [Id(0)] public string Id { get; init; } = "";

    [Id(1)] public string Owner { get; init; } = "";

    [Id(2)] public string Delegate { get; init; } = "";

    /// <summary>Operation globs (<c>*</c>, <c>?</c>); empty matches every operation.</summary>
    [Id(3)] public IReadOnlyList<string> Operations { get; init; } = [];

    /// <summary>A glob over the resource ref, e.g. <c>repo:acme/*</c>; null matches every resource.</summary>
    [Id(4)] public string? ResourcePattern { get; init; }

    /// <summary>Matches only intents whose risk score is above this (0–100); null matches every score.</summary>
    [Id(5)] public int? RiskAbove { get; init; }

    /// <summary>The intent must carry every one of these tags; empty matches every intent.</summary>
    [Id(6)] public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The policy stops applying at this instant; null never expires.</summary>
    [Id(7)] public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Whether the delegate may pass the seat on through its own policies.</summary>
    [Id(8)] public bool Cascade { get; init; }
}
