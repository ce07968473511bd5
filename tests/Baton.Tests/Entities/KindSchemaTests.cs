using System.Text.Json.Nodes;
using Baton.Contracts.Entities;
using Baton.Grains.Entities;

namespace Baton.Tests.Entities;

public sealed class KindSchemaTests
{
    private const string DeploymentSchema = """
        {
          "type": "object",
          "required": ["name", "status"],
          "properties": {
            "name": { "type": "string", "minLength": 1 },
            "status": { "enum": ["pending", "running", "failed", "done"] },
            "replicas": { "type": "integer", "minimum": 0 },
            "owner": { "$ref": "#/definitions/owner" }
          },
          "definitions": { "owner": { "type": "object", "required": ["id"], "properties": { "id": { "type": "string" } } } }
        }
        """;

    [Fact]
    public async Task A_state_that_matches_has_no_errors()
    {
        var schema = await KindSchema.CompileAsync(DeploymentSchema);

        Assert.Empty(schema.Validate(JsonNode.Parse("""{"name":"web","status":"running","replicas":3,"owner":{"id":"u1"}}""")));
    }

    [Fact]
    public async Task Every_failure_is_reported_with_its_path_and_a_readable_message()
    {
        var schema = await KindSchema.CompileAsync(DeploymentSchema);

        var errors = schema.Validate(JsonNode.Parse("""{"name":"web","status":"exploded","replicas":"three","owner":{}}"""));

        Assert.Contains(errors, e => e.Path == "#/status" && e.Message == "is not one of the allowed values" && e.Kind == "NotInEnumeration");
        Assert.Contains(errors, e => e.Path == "#/replicas" && e.Message == "expected an integer");
        Assert.Contains(errors, e => e.Path.StartsWith("#/owner", StringComparison.Ordinal) && e.Message.StartsWith("is required", StringComparison.Ordinal) && e.Message.Contains("'id'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_number_without_a_fractional_part_is_an_integer_as_JSON_Schema_defines_it()
    {
        var schema = await KindSchema.CompileAsync(DeploymentSchema);

        Assert.Empty(schema.Validate(JsonNode.Parse("""{"name":"web","status":"running","replicas":2.0}""")));
        Assert.Empty(schema.Validate(JsonNode.Parse("""{"name":"web","status":"running","replicas":3e1}""")));
        Assert.Single(schema.Validate(JsonNode.Parse("""{"name":"web","status":"running","replicas":2.5}""")));
        Assert.Single(schema.Validate(JsonNode.Parse("""{"name":"web","status":"running","replicas":2.50}""")));
        Assert.Empty(schema.Validate(JsonNode.Parse("""{"name":"web","status":"running","replicas":-0.00}""")));
        Assert.Empty(schema.Validate(JsonNode.Parse("""{"name":"web","status":"running","replicas":7}""")));
    }

    [Fact]
    public async Task A_missing_required_field_names_the_field()
    {
        var schema = await KindSchema.CompileAsync(DeploymentSchema);

        var error = Assert.Single(schema.Validate(JsonNode.Parse("""{"name":"web"}""")));

        Assert.Equal("PropertyRequired", error.Kind);
        Assert.Contains("'status'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public async Task An_invalid_schema_is_refused_naming_the_Schema_field(string schema)
    {
        var error = await Assert.ThrowsAsync<EntityValidationException>(() => KindSchema.CompileAsync(schema));

        Assert.Equal("Schema", error.Field);
    }

    [Fact]
    public async Task A_reference_to_a_URL_is_refused_without_calling_out()
    {
        var error = await Assert.ThrowsAsync<EntityValidationException>(() => KindSchema.CompileAsync("""{"$ref": "http://127.0.0.1:9/schema.json"}"""));

        Assert.Equal("Schema", error.Field);
        Assert.Contains("may reference only its own definitions, not the URL", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reference_to_a_file_is_refused()
    {
        var error = await Assert.ThrowsAsync<EntityValidationException>(() => KindSchema.CompileAsync("""{"properties": {"a": {"$ref": "other.json#/a"}}}"""));

        Assert.Equal("Schema", error.Field);
        Assert.Contains("other.json", error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cache_compiles_once_per_kind_version_and_recompiles_for_a_new_version()
    {
        var cache = new KindSchemaCache();
        var v1 = new KindDescription { Kind = "ticket", Version = 1, Definition = new KindDefinition { Schema = """{"required":["a"]}""" } };
        var v2 = v1 with { Version = 2, Definition = new KindDefinition { Schema = """{"required":["b"]}""" } };

        var first = await cache.GetAsync(v1);
        var again = await cache.GetAsync(v1);
        var second = await cache.GetAsync(v2);

        Assert.Same(first, again);
        Assert.NotSame(first, second);
        Assert.Empty(second.Validate(JsonNode.Parse("""{"b":1}""")));
        Assert.NotEmpty(second.Validate(JsonNode.Parse("""{"a":1}""")));
    }
}
