using Baton.Contracts.Entities;

namespace Baton.Tests.Entities;

public sealed class EntityKeyTests
{
    [Theory]
    [InlineData("deployment")]
    [InlineData("catalog.item")]
    [InlineData("agent-status2")]
    [InlineData("a")]
    public void Valid_kinds_are_accepted(string kind) => Assert.Null(EntityKey.KindProblem(kind));

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("Deployment", "only lowercase letters")]
    [InlineData("deploy_ment", "only lowercase letters")]
    [InlineData("deploy/ment", "only lowercase letters")]
    [InlineData("deploy ment", "only lowercase letters")]
    public void Invalid_kinds_name_the_rule(string kind, string rule)
    {
        var error = Assert.Throws<EntityValidationException>(() => EntityKey.ValidateKind(kind));

        Assert.Equal("Kind", error.Field);
        Assert.Contains(rule, error.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kind_may_have_64_characters_but_not_65()
    {
        Assert.Null(EntityKey.KindProblem(new string('k', 64)));
        Assert.Contains("at most 64", EntityKey.KindProblem(new string('k', 65)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deployment/web-1", "deployment", "web-1")]
    [InlineData("catalog.item/sku 42", "catalog.item", "sku 42")]
    [InlineData("repo/acme/web", "repo", "acme/web")]
    [InlineData("ticket/🚀", "ticket", "🚀")]
    public void Keys_split_at_the_first_slash(string key, string kind, string id)
    {
        Assert.Equal((kind, id), EntityKey.Parse(key));
        Assert.Equal(key, EntityKey.Compose(kind, id));
    }

    [Fact]
    public void An_id_may_have_200_characters_counted_as_code_points_but_not_201()
    {
        Assert.Null(EntityKey.IdProblem(new string('x', 200)));
        Assert.Null(EntityKey.IdProblem(string.Concat(Enumerable.Repeat("🚀", 200))));
        Assert.Contains("at most 200", EntityKey.IdProblem(new string('x', 201)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_lone_surrogate_is_not_printable()
    {
        var key = "deployment/" + (char)0xD800 + "x";

        var error = Assert.Throws<EntityValidationException>(() => EntityKey.Parse(key));

        Assert.Contains("printable", error.Rule, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("deployment", "no '/' found")]
    [InlineData("deployment/", "must not be empty")]
    [InlineData("/web", "a kind must not be empty")]
    [InlineData("Deploy/web", "only lowercase letters")]
    [InlineData("deployment/we\nb", "printable")]
    [InlineData("deployment/we\u200Bb", "printable")]
    public void Invalid_keys_are_refused_naming_the_Key_field_and_the_rule(string key, string rule)
    {
        var error = Assert.Throws<EntityValidationException>(() => EntityKey.Parse(key));

        Assert.Equal("Key", error.Field);
        Assert.Contains(rule, error.Rule, StringComparison.Ordinal);
    }
}
