using System.Globalization;
using System.Text;
using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>What risk is scored on.</summary>
public sealed record RiskSubject(string InterfaceKey, string Operation, string ResourceRef, int PayloadBytes, IReadOnlyList<string> Tags)
{
    public static RiskSubject Of(Intent intent) => new(
        intent.InterfaceKey, intent.Operation, intent.ResourceRef, Encoding.UTF8.GetByteCount(intent.Payload), intent.Tags);

    /// <summary>The part of the resource ref before the first ':', or all of it.</summary>
    public string ResourceType => ResourceRef.IndexOf(':') is var colon and > 0 ? ResourceRef[..colon] : ResourceRef;
}

/// <summary>
/// Scores an intent 0–100 with a configurable <see cref="RiskRuleSet"/>: every rule that matches adds up to its weight,
/// the sum is capped at 100, and the score's level is read off the set's thresholds. The factors list every rule that
/// contributed, so a reviewer sees why.
/// </summary>
public sealed class RiskRules
{
    /// <summary>Operation globs of deletes; shared with the default approval policy's "any delete needs an approval".</summary>
    public static IReadOnlyList<string> DeletePatterns { get; } = ["delete*", "*.delete", "*-delete", "*_delete"];

    /// <summary>
    /// The rules used when none are configured. Destructive verbs (delete, destroy, drop, purge: 40) and force-pushes (60)
    /// weigh most; production resources (30), sensitive tags (25), large payloads (up to 15, from 16 KiB to 256 KiB)
    /// and writes over raw HTTP (10) add to them. Medium from 25, High from 50, Critical from 75.
    /// </summary>
    public static RiskRuleSet DefaultSet { get; } = new()
    {
        Rules = new List<RiskRule>
        {
            new() { Name = "destructive_operation", Kind = RiskRuleKind.Operation, Weight = 40, Patterns = [.. DeletePatterns, "destroy*", "drop*", "purge*"] },
            new() { Name = "force_push", Kind = RiskRuleKind.Operation, Weight = 60, Patterns = ["force-push*", "force_push*", "*.force-push", "*.force_push"] },
            new() { Name = "production_resource", Kind = RiskRuleKind.ResourceType, Weight = 30, Patterns = ["prod", "prod-*", "prod_*", "production*"] },
            new() { Name = "sensitive_tag", Kind = RiskRuleKind.Tag, Weight = 25, Patterns = ["production", "security", "billing", "pii", "secrets"] },
            new() { Name = "large_payload", Kind = RiskRuleKind.PayloadSize, Weight = 15, AboveBytes = 16 * 1024, FullAtBytes = IntentLimits.MaxPayloadBytes },
            new() { Name = "external_http", Kind = RiskRuleKind.Interface, Weight = 10, Patterns = ["http"] },
        },
        MediumFrom = 25,
        HighFrom = 50,
        CriticalFrom = 75,
    };

    public static RiskRules Default { get; } = new(DefaultSet);

    public RiskRules(RiskRuleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        Validate(set);
        Set = set;
    }

    public RiskRuleSet Set { get; }

    public RiskAssessment Assess(RiskSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var factors = new List<RiskFactor>();
        foreach (var rule in Set.Rules)
        {
            var (contribution, detail) = Evaluate(rule, subject);
            if (contribution > 0)
            {
                factors.Add(new RiskFactor { Name = rule.Name, Weight = rule.Weight, Contribution = contribution, Detail = detail });
            }
        }

        var score = Math.Min(100, factors.Sum(f => f.Contribution));
        return new RiskAssessment { Score = score, Level = LevelOf(score), Factors = factors };
    }

    public RiskLevel LevelOf(int score) =>
        score >= Set.CriticalFrom ? RiskLevel.Critical
        : score >= Set.HighFrom ? RiskLevel.High
        : score >= Set.MediumFrom ? RiskLevel.Medium
        : RiskLevel.Low;

    /// <summary>Throws <see cref="IntentValidationException"/> naming the first broken rule of <paramref name="set"/>.</summary>
    public static void Validate(RiskRuleSet set)
    {
        if (!(0 < set.MediumFrom && set.MediumFrom < set.HighFrom && set.HighFrom < set.CriticalFrom && set.CriticalFrom <= 100))
        {
            throw new IntentValidationException(nameof(RiskRuleSet.MediumFrom),
                $"thresholds must satisfy 0 < MediumFrom < HighFrom < CriticalFrom <= 100 (got {set.MediumFrom}, {set.HighFrom}, {set.CriticalFrom})");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in set.Rules ?? [])
        {
            var field = $"Rules[{rule.Name}]";
            if (string.IsNullOrWhiteSpace(rule.Name) || !names.Add(rule.Name))
            {
                throw new IntentValidationException(field, "every rule needs a name, unique in its set");
            }

            if (!Enum.IsDefined(rule.Kind))
            {
                throw new IntentValidationException(field, $"unknown rule kind {(int)rule.Kind}");
            }

            if (rule.Weight is < 0 or > 100)
            {
                throw new IntentValidationException(field, $"weight must be 0–100 (got {rule.Weight})");
            }

            if (rule.Kind == RiskRuleKind.PayloadSize)
            {
                if (rule.AboveBytes < 0 || rule.FullAtBytes <= rule.AboveBytes)
                {
                    throw new IntentValidationException(field, $"payload size rules need 0 <= AboveBytes < FullAtBytes (got {rule.AboveBytes}, {rule.FullAtBytes})");
                }
            }
            else if (rule.Patterns is not { Count: > 0 } || rule.Patterns.Any(string.IsNullOrEmpty))
            {
                throw new IntentValidationException(field, "needs at least one non-empty pattern");
            }
        }
    }

    private static (int Contribution, string Detail) Evaluate(RiskRule rule, RiskSubject subject)
    {
        switch (rule.Kind)
        {
            case RiskRuleKind.PayloadSize:
                if (subject.PayloadBytes <= rule.AboveBytes)
                {
                    return (0, "");
                }

                var fraction = Math.Min(1.0, (subject.PayloadBytes - rule.AboveBytes) / (double)(rule.FullAtBytes - rule.AboveBytes));
                var points = Math.Max(1, (int)Math.Round(rule.Weight * fraction, MidpointRounding.AwayFromZero));
                return (Math.Min(rule.Weight, points), string.Create(CultureInfo.InvariantCulture,
                    $"payload is {subject.PayloadBytes} bytes (counts above {rule.AboveBytes}, fully at {rule.FullAtBytes})"));
            case RiskRuleKind.Tag:
                var tag = subject.Tags.FirstOrDefault(t => Glob.MatchesAny(rule.Patterns, t, ignoreCase: true));
                return tag is null ? (0, "") : (rule.Weight, $"tag '{tag}' matches {Quoted(rule.Patterns, tag)}");
            default:
                var (what, value) = rule.Kind switch
                {
                    RiskRuleKind.Operation => ("operation", subject.Operation),
                    RiskRuleKind.ResourceType => ("resource type", subject.ResourceType),
                    _ => ("interface", subject.InterfaceKey),
                };
                return Glob.MatchesAny(rule.Patterns, value, ignoreCase: true)
                    ? (rule.Weight, $"{what} '{value}' matches {Quoted(rule.Patterns, value)}")
                    : (0, "");
        }
    }

    private static string Quoted(IReadOnlyList<string> patterns, string value) =>
        $"'{patterns.First(p => Glob.Matches(p, value, ignoreCase: true))}'";
}
