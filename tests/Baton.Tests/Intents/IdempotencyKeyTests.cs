using System.Security.Cryptography;
using System.Text;
using Baton.Contracts.Intents;
using Baton.Grains.Intents;

namespace Baton.Tests.Intents;

/// <summary>The derived key is the SHA-256 of canonical JSON: sorted keys at every level, no whitespace, numbers as written.</summary>
public sealed class IdempotencyKeyTests
{
    [Fact]
    public void Known_vector_matches_the_SHA_256_of_the_canonical_text_computed_elsewhere()
    {
        // sha256sum of the canonical text below, computed with coreutils outside .NET.
        const string canonical = """{"interface_key":"http","operation":"create","payload":{"a":1,"b":[true,null,"x"]},"resource_ref":"repo:acme/web"}""";

        var key = IdempotencyKey.For("http", "create", "repo:acme/web", """ { "b" : [ true, null, "x" ], "a" : 1 } """);

        Assert.Equal(canonical, IdempotencyKey.Canonical("http", "create", "repo:acme/web", """{"b":[true,null,"x"],"a":1}"""));
        Assert.Equal("04adb595633bd5da615cb607527d4dd65bb57e1ea607251a931c310274a7d9d0", key);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), key);
    }

    [Fact]
    public void Key_does_not_depend_on_member_order_or_whitespace_at_any_depth()
    {
        var a = IdempotencyKey.For("http", "create", "repo:acme/web", """{"outer":{"z":1,"a":{"y":[{"q":1,"p":2}],"b":"c"}},"first":true}""");
        var b = IdempotencyKey.For("http", "create", "repo:acme/web", """
            {
              "first" : true,
              "outer" : { "a" : { "b" : "c", "y" : [ { "p" : 2, "q" : 1 } ] }, "z" : 1 }
            }
            """);

        Assert.Equal(a, b);
        Assert.Matches("^[0-9a-f]{64}$", a);
    }

    [Fact]
    public void Different_content_gives_different_keys()
    {
        var baseline = IdempotencyKey.For("http", "create", "repo:acme/web", """{"a":1}""");

        Assert.NotEqual(baseline, IdempotencyKey.For("http", "create", "repo:acme/web", """{"a":2}"""));
        Assert.NotEqual(baseline, IdempotencyKey.For("entity", "create", "repo:acme/web", """{"a":1}"""));
        Assert.NotEqual(baseline, IdempotencyKey.For("http", "delete", "repo:acme/web", """{"a":1}"""));
        Assert.NotEqual(baseline, IdempotencyKey.For("http", "create", "repo:acme/api", """{"a":1}"""));
        Assert.NotEqual(IdempotencyKey.For("http", "create", "r:x", """[1,2]"""), IdempotencyKey.For("http", "create", "r:x", """[2,1]"""));
    }

    [Fact]
    public void Numbers_are_kept_as_written_so_differently_spelled_numbers_are_different_writes()
    {
        Assert.Equal("""{"m":1e3,"n":1.0}""", IdempotencyKey.CanonicalPayload("""{ "n": 1.0, "m": 1e3 }"""));
        Assert.NotEqual(IdempotencyKey.For("http", "create", "r:x", """{"n":1}"""), IdempotencyKey.For("http", "create", "r:x", """{"n":1.0}"""));
    }

    [Fact]
    public void Strings_are_written_with_the_fewest_escapes_so_equal_strings_spelled_differently_agree()
    {
        Assert.Equal(IdempotencyKey.CanonicalPayload("\"A\\u00e9\\u002F\""), IdempotencyKey.CanonicalPayload("\"Aé/\""));
        Assert.Equal("\"q\\\"\\\\\\n\\u0001é<\"", IdempotencyKey.CanonicalPayload("\"q\\\"\\\\\\n\\u0001\\u00e9\\u003c\""));
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("""{"a":1,"a":2}""")]
    public void Invalid_payload_is_refused_naming_the_field(string payload)
    {
        var error = Assert.Throws<IntentValidationException>(() => IdempotencyKey.For("http", "create", "r:x", payload));
        Assert.Equal("Payload", error.Field);
    }
}
