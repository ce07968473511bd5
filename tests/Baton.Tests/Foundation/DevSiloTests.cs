using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Foundation;

/// <summary>The first command: a dev-mode silo with no database serves health, API, OpenAPI, reference and dashboard.</summary>
public sealed class DevSiloTests : IAsyncLifetime
{
    private InProcessSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await InProcessSilo.StartAsync();

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Healthz_reports_a_healthy_dev_silo_and_one_active_silo()
    {
        var response = await _silo.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("dev", health.GetProperty("mode").GetString());
        Assert.StartsWith("127.0.0.1:", health.GetProperty("silo").GetString());
        Assert.Equal(1, health.GetProperty("active_silos").GetInt32());
    }

    [Fact]
    public async Task Healthz_is_503_once_the_silo_stops_serving()
    {
        await using var silo = await InProcessSilo.StartAsync();
        var state = (Baton.Hosting.SiloServingState)silo.App.Services.GetService(typeof(Baton.Hosting.SiloServingState))!;

        state.MarkStopping();
        var response = await silo.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("stopping", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Without_api_keys_a_loopback_caller_is_the_local_admin()
    {
        var root = await _silo.Http.GetFromJsonAsync<JsonElement>("/api/v1");

        Assert.Equal("baton", root.GetProperty("name").GetString());
        Assert.Equal("dev", root.GetProperty("mode").GetString());
        Assert.Equal("local-admin", root.GetProperty("principal").GetString());
        Assert.Contains("admin", root.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains(_silo.Log.Lines, l => l.StartsWith("Warning") && l.Contains("No Baton:ApiKeys configured"));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api()
    {
        var document = await _silo.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        Assert.Equal("Baton API", document.GetProperty("info").GetProperty("title").GetString());
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/healthz", paths);
        Assert.Contains("/api/v1", paths);
    }

    [Fact]
    public async Task The_reference_page_and_the_dashboard_are_served()
    {
        var reference = await _silo.Http.GetAsync("/scalar/v1");
        var dashboard = await _silo.Http.GetAsync("/dashboard/");

        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Contains("text/html", reference.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("<html", await dashboard.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Startup_logs_one_line_with_every_url()
    {
        var line = Assert.Single(_silo.Log.Lines, l => l.Contains("serving: dashboard"));

        foreach (var part in new[] { "/dashboard", "/healthz", "/api/v1", "/openapi/v1.json", "/scalar/v1", $"gateway port {_silo.GatewayPort}" })
        {
            Assert.Contains(part, line);
        }
    }

    [Fact]
    public async Task Without_api_keys_a_wildcard_address_is_narrowed_to_loopback()
    {
        await using var silo = await InProcessSilo.StartAsync(urls: "http://0.0.0.0:0");

        var address = Assert.Single(silo.Addresses);
        Assert.StartsWith("http://127.0.0.1:", address);
        Assert.Contains(silo.Log.Lines, l => l.Contains("http://0.0.0.0:0 became http://127.0.0.1:0"));
        Assert.Equal(HttpStatusCode.OK, (await silo.Http.GetAsync("/healthz")).StatusCode);
    }
}
