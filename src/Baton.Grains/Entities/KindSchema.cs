using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Baton.Contracts.Entities;
using NJsonSchema;
using NJsonSchema.References;
using NJsonSchema.Validation;

namespace Baton.Grains.Entities;

/// <summary>
/// A kind's JSON Schema compiled once (NJsonSchema) and used to check every state of that kind.
/// Errors come back as <see cref="EntitySchemaError"/>s: a path into the state and a sentence.
/// Instances are immutable and safe to share between activations.
/// </summary>
public sealed class KindSchema
{
    private readonly JsonSchema _schema;

    private KindSchema(JsonSchema schema, string text)
    {
        _schema = schema;
        Text = text;
    }

    /// <summary>The schema text it was compiled from.</summary>
    public string Text { get; }

    /// <summary>
    /// Compiles <paramref name="schemaJson"/>. Throws <see cref="EntityValidationException"/> for field
    /// <c>Schema</c> when it is not a JSON object or not a schema, or when it references another document
    /// (a file or URL): a kind definition must never make a silo read files or call out.
    /// </summary>
    public static async Task<KindSchema> CompileAsync(string? schemaJson, CancellationToken cancellationToken = default)
    {
        CanonicalJson.ParseObject(schemaJson, "Schema");
        try
        {
            var schema = await JsonSchema.FromJsonAsync(
                schemaJson!,
                documentPath: null,
                referenceResolverFactory: root => new LocalReferencesOnly(new JsonSchemaAppender(root, new DefaultTypeNameGenerator())),
                cancellationToken);
            return new KindSchema(schema, schemaJson!);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The resolver's refusal arrives wrapped by NJsonSchema; surface it as it was thrown.
            for (var inner = ex; inner is not null; inner = inner.InnerException)
            {
                if (inner is EntityValidationException refused)
                {
                    throw refused;
                }
            }

            throw new EntityValidationException("Schema", $"must be a valid JSON Schema ({ex.Message})");
        }
    }

    /// <summary>Every way <paramref name="state"/> fails the schema, in document order; empty when it matches.</summary>
    public IReadOnlyList<EntitySchemaError> Validate(JsonNode? state)
    {
        var errors = new List<EntitySchemaError>();
        // JSON Schema counts 2.0 as an integer, the validator (Newtonsoft) does not; spell such numbers as integers first.
        var text = CanonicalJson.NumbersArePlain(state) ? CanonicalJson.Write(state) : CanonicalJson.Write(CanonicalJson.IntegralNumbersAsIntegers(state));
        Flatten(_schema.Validate(text), errors);
        return errors;
    }

    private static void Flatten(IEnumerable<ValidationError> found, List<EntitySchemaError> into)
    {
        foreach (var error in found)
        {
            into.Add(new EntitySchemaError(PathOf(error), Describe(error), error.Kind.ToString()));
            if (error is ChildSchemaValidationError child)
            {
                foreach (var nested in child.Errors.Values)
                {
                    Flatten(nested, into);
                }
            }
        }
    }

    private static string PathOf(ValidationError error) =>
        string.IsNullOrEmpty(error.Path) ? "#" : error.Path;

    private static string Describe(ValidationError error) => error.Kind switch
    {
        ValidationErrorKind.PropertyRequired => $"is required{Named(error)}",
        ValidationErrorKind.NoAdditionalPropertiesAllowed => $"is not allowed (no additional properties){Named(error)}",
        ValidationErrorKind.StringExpected => "expected a string",
        ValidationErrorKind.NumberExpected => "expected a number",
        ValidationErrorKind.IntegerExpected => "expected an integer",
        ValidationErrorKind.BooleanExpected => "expected a boolean",
        ValidationErrorKind.ObjectExpected => "expected an object",
        ValidationErrorKind.ArrayExpected => "expected an array",
        ValidationErrorKind.NullExpected => "expected null",
        ValidationErrorKind.NotInEnumeration => "is not one of the allowed values",
        ValidationErrorKind.PatternMismatch => $"does not match the pattern '{error.Schema?.Pattern}'",
        ValidationErrorKind.StringTooShort => $"is shorter than {error.Schema?.MinLength} characters",
        ValidationErrorKind.StringTooLong => $"is longer than {error.Schema?.MaxLength} characters",
        ValidationErrorKind.NumberTooSmall => $"is below the minimum {error.Schema?.Minimum}",
        ValidationErrorKind.NumberTooBig => $"is above the maximum {error.Schema?.Maximum}",
        ValidationErrorKind.TooFewItems => $"has fewer than {error.Schema?.MinItems} items",
        ValidationErrorKind.TooManyItems => $"has more than {error.Schema?.MaxItems} items",
        ValidationErrorKind.ItemsNotUnique => "has duplicate items",
        ValidationErrorKind.NotAnyOf => "matches none of the schemas in anyOf",
        ValidationErrorKind.NotOneOf => "does not match exactly one of the schemas in oneOf",
        ValidationErrorKind.NotAllOf => "does not match all of the schemas in allOf",
        _ => Humanize(error.Kind.ToString()),
    };

    private static string Named(ValidationError error) =>
        string.IsNullOrEmpty(error.Property) ? "" : $" ('{error.Property}')";

    // "DateTimeExpected" -> "date time expected": readable enough for the codes without a sentence above.
    private static string Humanize(string code) =>
        string.Concat(code.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>Refuses references to files and URLs; references inside the schema document still resolve.</summary>
    private sealed class LocalReferencesOnly(JsonSchemaAppender appender) : JsonReferenceResolver(appender)
    {
        public override Task<IJsonReference> ResolveFileReferenceAsync(string filePath, CancellationToken cancellationToken = default) =>
            throw new EntityValidationException("Schema", $"may reference only its own definitions, not the file '{filePath}'");

        public override Task<IJsonReference> ResolveUrlReferenceAsync(string url, CancellationToken cancellationToken = default) =>
            throw new EntityValidationException("Schema", $"may reference only its own definitions, not the URL '{url}'");
    }
}

/// <summary>
/// Compiled schemas of the kinds a silo has seen, one per kind at its latest definition version, so
/// every entity activation of a kind shares one compilation. Thread-safe; register as a singleton.
/// </summary>
public sealed class KindSchemaCache
{
    private readonly ConcurrentDictionary<string, (long Version, Task<KindSchema> Schema)> _byKind = new(StringComparer.Ordinal);

    /// <summary>The compiled schema of <paramref name="description"/>, compiling it on first use of that version.</summary>
    public Task<KindSchema> GetAsync(KindDescription description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var entry = _byKind.AddOrUpdate(
            description.Kind,
            _ => (description.Version, KindSchema.CompileAsync(description.Definition.Schema)),
            (_, current) => current.Version >= description.Version && !current.Schema.IsFaulted
                ? current
                : (description.Version, KindSchema.CompileAsync(description.Definition.Schema)));
        return entry.Version == description.Version ? entry.Schema : KindSchema.CompileAsync(description.Definition.Schema);
    }
}
