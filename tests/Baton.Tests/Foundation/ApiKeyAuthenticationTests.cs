using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Baton.Api.Auth;
using Baton.Hosting;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Foundation;

/// <summary>With keys configured, the API serves only callers that present one, as the key's principal.</summary>
public sealed class ApiKeyAuthenticationTests : IAsyncLifetime
{
    private const string AgentKey = "agent-key-0123456789-abcdef";
    private const string AdminKey = "admin-key-9876543210-fedcba";
    private InProcessSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await InProcessSilo.StartAsync(new Dictionary<string, string?>
    {
        ["Baton:ApiKeys:0:Key"] = AgentKey,
        ["Baton:ApiKeys:0:Principal"] = "agent-7",
        ["Baton:ApiKeys:0:Roles:0"] = "agent",
        ["Baton:ApiKeys:1:Key"] = AdminKey,
        ["Baton:ApiKeys:1:Principal"] = "ops",
        ["Baton:ApiKeys:1:Roles:0"] = "admin",
        ["Baton:ApiKeys:1:Roles:1"] = "reviewer",
    });

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task A_request_without_a_key_is_401_problem_json_with_a_bearer_challenge()
    {
        var response = await _silo.Http.GetAsync("/api/v1");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_wrong_key_is_401_and_never_logged()
    {
        const string wrong = "wrong-key-that-looks-plausible";
        var response = await SendAsync("/api/v1", wrong);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain(wrong, _silo.Log.Text);
    }

    [Fact]
    public async Task A_valid_key_authenticates_as_its_principal_with_its_roles()
    {
        var response = await SendAsync("/api/v1", AgentKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("agent-7", root.GetProperty("principal").GetString());
        Assert.Equal(["agent"], root.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());
    }

    [Fact]
    public async Task Health_needs_no_key()
    {
        Assert.Equal(HttpStatusCode.OK, (await _silo.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Configured_keys_never_reach_the_log()
    {
        await SendAsync("/api/v1", AdminKey);
        await SendAsync("/api/v1", AgentKey);

        Assert.DoesNotContain(AgentKey, _silo.Log.Text);
        Assert.DoesNotContain(AdminKey, _silo.Log.Text);
        Assert.DoesNotContain("No Baton:ApiKeys configured", _silo.Log.Text);
    }

    [Fact]
    public void The_key_store_matches_only_exact_keys()
    {
        var store = new ApiKeyStore([new ApiKeyOptions { Key = AgentKey, Principal = "a", Roles = ["agent"] }]);

        Assert.True(store.TryAuthenticate(AgentKey, out var principal, out var roles));
        Assert.Equal("a", principal);
        Assert.Equal(["agent"], roles);
        Assert.False(store.TryAuthenticate(AgentKey + "x", out _, out _));
        Assert.False(store.TryAuthenticate(AgentKey[..^1], out _, out _));
        Assert.False(store.TryAuthenticate("", out _, out _));
    }

    [Fact]
    public void An_api_key_option_does_not_print_its_key()
    {
        var option = new ApiKeyOptions { Key = AgentKey, Principal = "a" };

        Assert.DoesNotContain(AgentKey, option.ToString());
    }

    private Task<HttpResponseMessage> SendAsync(string path, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return _silo.Http.SendAsync(request);
    }
}
