using System.Text.Json.Nodes;
using Baton.Grains.Entities;

namespace Baton.Tests.Entities;

public sealed class MergePatchTests
{
    // RFC 7386, Appendix A: original, patch, result.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Rfc7386_appendix_examples_produce_the_documented_result(string original, string patch, string expected)
    {
        var result = MergePatch.Apply(JsonNode.Parse(original), JsonNode.Parse(patch));

        Assert.True(CanonicalJson.Equal(JsonNode.Parse(expected), result), $"got {CanonicalJson.Write(result)}");
    }

    [Fact]
    public void Applying_a_patch_modifies_neither_input()
    {
        var target = JsonNode.Parse("""{"a":{"b":1},"c":2}""");
        var patch = JsonNode.Parse("""{"a":{"b":null,"d":3},"c":null}""");

        var result = MergePatch.Apply(target, patch);

        Assert.Equal("""{"a":{"b":1},"c":2}""", target!.ToJsonString());
        Assert.Equal("""{"a":{"b":null,"d":3},"c":null}""", patch!.ToJsonString());
        Assert.Equal("""{"a":{"d":3}}""", result!.ToJsonString());
    }

    [Fact]
    public void A_missing_target_is_patched_as_an_empty_object()
    {
        var result = MergePatch.Apply(null, JsonNode.Parse("""{"status":"ok","gone":null}"""));

        Assert.Equal("""{"status":"ok"}""", result!.ToJsonString());
    }
}
