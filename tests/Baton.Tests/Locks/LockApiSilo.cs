using System.Net.Http.Headers;
using System.Net.Http.Json;
using Baton.Client;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Locks;

/// <summary>
/// One dev-mode silo host in process (real HTTP on loopback, real gateway) for the lock HTTP, SDK and CLI tests,
/// with API keys for two agents and an admin, and a .NET client connected through the gateway.
/// </summary>
public sealed class LockApiSilo : IAsyncLifetime
{
    public const string Agent = "agent-7";
    public const string OtherAgent = "agent-8";
    public const string Admin = "ops";

    private const string AgentKey = "lock-agent-key-0123456789";
    private const string OtherAgentKey = "lock-agent8-key-0123456789";
    private const string AdminKey = "lock-admin-key-9876543210";

    public InProcessSilo Silo { get; private set; } = null!;

    public BatonClient Client { get; private set; } = null!;

    public string Gateway => $"127.0.0.1:{Silo.GatewayPort}";

    public async Task InitializeAsync()
    {
        Silo = await InProcessSilo.StartAsync(new Dictionary<string, string?>
        {
            ["Baton:ApiKeys:0:Key"] = AgentKey,
            ["Baton:ApiKeys:0:Principal"] = Agent,
            ["Baton:ApiKeys:0:Roles:0"] = "agent",
            ["Baton:ApiKeys:1:Key"] = OtherAgentKey,
            ["Baton:ApiKeys:1:Principal"] = OtherAgent,
            ["Baton:ApiKeys:1:Roles:0"] = "agent",
            ["Baton:ApiKeys:2:Key"] = AdminKey,
            ["Baton:ApiKeys:2:Principal"] = Admin,
            ["Baton:ApiKeys:2:Roles:0"] = "admin",
        });
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
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", principal switch
        {
            Agent => AgentKey,
            OtherAgent => OtherAgentKey,
            Admin => AdminKey,
            _ => throw new ArgumentOutOfRangeException(nameof(principal), principal, null),
        });
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return Silo.Http.SendAsync(request);
    }
}

[CollectionDefinition(Name)]
public sealed class LockApiSiloCollection : ICollectionFixture<LockApiSilo>
{
    public const string Name = "lock-api-silo";
}
