using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Baton.Contracts.Entities;

namespace Baton.Grains.Entities;

/// <summary>The persisted truth of one kind: its current definition and version.</summary>
[GenerateSerializer, Alias("baton.entities.kind_state")]
public sealed class EntityKindState
{
    /// <summary>0 until first defined.</summary>
    [Id(0)] public long Version { get; set; }

    [Id(1)] public KindDefinition? Definition { get; set; }

    [Id(2)] public DateTimeOffset DefinedAt { get; set; }
}

/// <summary>A kind as an entity write needs it: the description and its compiled schema.</summary>
public sealed record KindContext(KindDescription Description, KindSchema Schema)
{
    public string Kind => Description.Kind;

    public long Version => Description.Version;

    public KindDefinition Definition => Description.Definition;

    /// <summary>The masking for a write made under a run whose registered secrets are <paramref name="runSecrets"/>.</summary>
    public Masking Masking(IEnumerable<string>? runSecrets) => new(Definition.SecretFields, runSecrets ?? []);
}

/// <summary>Checks, normalizes and versions kind definitions (what <see cref="IEntityKindGrain.Define"/> decides).</summary>
public static partial class KindDefinitions
{
    /// <summary>
    /// Validates <paramref name="definition"/> for <paramref name="kind"/>, compiles its schema and resolves
    /// default event names of its derivers. Throws <see cref="EntityValidationException"/> naming the field
    /// (<c>Kind</c>, <c>Schema</c>, <c>SecretFields</c>, <c>Derivers</c>) and rule.
    /// </summary>
    public static async Task<(KindDefinition Definition, KindSchema Schema)> NormalizeAsync(string kind, KindDefinition definition, CancellationToken cancellationToken = default)
    {
        EntityKey.ValidateKind(kind);
        ArgumentNullException.ThrowIfNull(definition);
        var schema = await KindSchema.CompileAsync(definition.Schema, cancellationToken);

        var secretFields = new List<string>();
        foreach (var field in definition.SecretFields ?? [])
        {
            if (string.IsNullOrEmpty(field) || field.Split('.').Any(string.IsNullOrEmpty))
            {
                throw new EntityValidationException("SecretFields", $"a secret field must be a field name or a dotted path without empty parts ('{field}' is not)");
            }

            if (!secretFields.Contains(field, StringComparer.Ordinal))
            {
                secretFields.Add(field);
            }
        }

        var rules = new List<FieldRule>();
        var derivers = definition.Derivers ?? [];
        for (var i = 0; i < derivers.Count; i++)
        {
            rules.Add(NormalizeRule(derivers[i], i));
        }

        return (definition with { SecretFields = secretFields, Derivers = rules }, schema);
    }

    /// <summary>
    /// Defines the kind in <paramref name="state"/>: a definition that differs from the current one (schemas
    /// compared canonically) becomes the next version at <paramref name="now"/>; an identical one changes
    /// nothing. Returns the current description and whether <paramref name="state"/> changed (and must be written).
    /// </summary>
    public static async Task<(KindDescription Description, bool Changed)> DefineAsync(
        EntityKindState state, string kind, KindDefinition definition, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (normalized, _) = await NormalizeAsync(kind, definition, cancellationToken);
        if (state.Definition is { } current && Same(current, normalized))
        {
            return (Describe(state, kind)!, false);
        }

        state.Version++;
        state.Definition = normalized;
        state.DefinedAt = now;
        return (Describe(state, kind)!, true);
    }

    /// <summary>The description of the kind in <paramref name="state"/>, or null when it was never defined.</summary>
    public static KindDescription? Describe(EntityKindState state, string kind) =>
        state.Definition is null ? null : new KindDescription { Kind = kind, Version = state.Version, Definition = state.Definition, DefinedAt = state.DefinedAt };

    /// <summary>True when two (normalized) definitions mean the same thing.</summary>
    public static bool Same(KindDefinition a, KindDefinition b) =>
        CanonicalJson.Equal(JsonNode.Parse(a.Schema), JsonNode.Parse(b.Schema))
        && a.SecretFields.SequenceEqual(b.SecretFields, StringComparer.Ordinal)
        && a.Derivers.Count == b.Derivers.Count
        && a.Derivers.Zip(b.Derivers).All(p => p.First.Field == p.Second.Field && p.First.Op == p.Second.Op && p.First.Event == p.Second.Event
            && CanonicalJson.Equal(JsonNode.Parse(p.First.Value), JsonNode.Parse(p.Second.Value)));

    private static FieldRule NormalizeRule(FieldRule rule, int index)
    {
        var at = $"rule {index}";
        if (string.IsNullOrEmpty(rule.Field))
        {
            throw new EntityValidationException("Derivers", $"{at}: the field must not be empty");
        }

        if (!Enum.IsDefined(rule.Op))
        {
            throw new EntityValidationException("Derivers", $"{at}: the op must be {FieldRuleOps.ChangedTo}, {FieldRuleOps.CrossesAbove} or {FieldRuleOps.CrossesBelow}");
        }

        var value = CanonicalJson.Parse(rule.Value, "Derivers");
        if (rule.Op is FieldRuleOp.CrossesAbove or FieldRuleOp.CrossesBelow && Derivers.Number(value) is null)
        {
            throw new EntityValidationException("Derivers", $"{at}: a threshold of {FieldRuleOps.Name(rule.Op)} must be a number (it is {rule.Value})");
        }

        var name = string.IsNullOrEmpty(rule.Event) ? Derivers.DefaultEventName(rule) : rule.Event;
        if (name is null || !EventName().IsMatch(name))
        {
            throw new EntityValidationException("Derivers",
                $"{at}: the event name '{name}' must be lowercase letters, digits, '-' and '_' in dot-separated parts; set Event when the default (<field>.<value>) is not such a name");
        }

        return rule with { Value = CanonicalJson.Write(value), Event = name };
    }

    [GeneratedRegex("^[a-z0-9_-]+(\\.[a-z0-9_-]+)*$")]
    private static partial Regex EventName();
}
