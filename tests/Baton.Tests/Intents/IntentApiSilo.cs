using System.Net.Http.Headers;
using System.Net.Http.Json;
using Baton.Client;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Intents;

/// <summary>
/// One dev-mode silo host in process (real HTTP on loopback, real gateway) for the intent HTTP and CLI tests, with API
/// keys for two agents, two reviewers and an admin, and a .NET client connected through the gateway.
/// </summary>
public sealed class IntentApiSilo : IAsyncLifetime
{
    public const string Agent = "agent-7";
    public const string OtherAgent = "agent-8";
    public const string Reviewer = "rev-1";
    public const string OtherReviewer = "rev-2";
    public const string Admin = "ops";

    private static readonly Dictionary<string, (string Key, string Role)> Keys = new()
    {
        [Agent] = ("intent-agent-key-0123456789", "agent"),
        [OtherAgent] = ("intent-agent8-key-0123456789", "agent"),
        [Reviewer] = ("intent-reviewer-key-0123456789", "reviewer"),
        [OtherReviewer] = ("intent-reviewer2-key-0123456789", "reviewer"),
        [Admin] = ("intent-admin-key-9876543210", "admin"),
    };

    public InProcessSilo Silo { get; private set; } = null!;

    public BatonClient Client { get; private set; } = null!;

    public string Gateway => $"127.0.0.1:{Silo.GatewayPort}";

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>();
        var i = 0;
        foreach (var (principal, (key, role)) in Keys)
        {
            settings[$"Baton:ApiKeys:{i}:Key"] = key;
            settings[$"Baton:ApiKeys:{i}:Principal"] = principal;
            settings[$"Baton:ApiKeys:{i}:Roles:0"] = role;
            i++;
        }

        Silo = await InProcessSilo.StartAsync(settings);
        Client = await BatonClient.ConnectAsync(
            new BatonClientOptions { Gateways = [Gateway], ConnectTimeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Client.DisposeAsync();
        await Silo.DisposeAsync();
    }

    /// <summary>Sends <paramref name="body"/> as JSON (null: no body) with the key of <paramref name="principal"/>.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string principal, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Keys[principal].Key);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return Silo.Http.SendAsync(request);
    }
}

[CollectionDefinition(Name)]
public sealed class IntentApiSiloCollection : ICollectionFixture<IntentApiSilo>
{
    public const string Name = "intent-api-silo";
}
