using System.Net;
using System.Reflection;
using System.Security.Claims;
using System.Text.Json;
using Baton.Api.Auth;
using Baton.Api.Entities;
using Baton.Api.Feed;
using Baton.Api.Intents;
using Baton.Api.Locks;
using Baton.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scalar.AspNetCore;

namespace Baton.Api;

public static class BatonApi
{
    public const string Root = "/api/v1";
    public const string DefaultUrl = "http://localhost:8080";

    /// <summary>
    /// Registers the HTTP API: authentication (API keys, or the local admin on loopback in dev
    /// mode without keys), problem details, snake_case JSON and the OpenAPI document.
    /// Production mode without keys is refused here, before anything listens.
    /// </summary>
    public static WebApplicationBuilder AddBatonApi(this WebApplicationBuilder builder, BatonOptions options)
    {
        var notes = new StartupNotes();
        builder.Services.AddSingleton(notes);

        var urls = builder.Configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            urls = DefaultUrl;
        }

        var keys = new ApiKeyStore(options.ApiKeys);
        builder.Services.AddSingleton(keys);
        var authentication = builder.Services.AddAuthentication(BatonAuthentication.Scheme);
        if (keys.IsEmpty)
        {
            if (options.IsPostgres)
            {
                throw new BatonStartupException(
                    "Baton:ApiKeys: production mode (Baton:Postgres is set) refuses to serve the HTTP API without API keys; " +
                    "set Baton__ApiKeys__0__Key (16+ characters), Baton__ApiKeys__0__Principal and Baton__ApiKeys__0__Roles__0.");
            }

            urls = LoopbackOnly(urls, notes);
            notes.Warnings.Add("No Baton:ApiKeys configured: the HTTP API serves loopback callers only, each as the local admin. Configure API keys before exposing it.");
            authentication.AddScheme<AuthenticationSchemeOptions, LocalAdminAuthenticationHandler>(BatonAuthentication.Scheme, null);
        }
        else
        {
            authentication.AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(BatonAuthentication.Scheme, null);
        }

        builder.WebHost.UseUrls(urls);
        builder.Services.AddAuthorization(BatonPolicies.Add);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(new EventFeedOptions());
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
        });
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Baton API";
            document.Info.Description = "Locks, write intents, entities, channels, sync bindings and runs for fleets of agents.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    /// <summary>Maps <c>/healthz</c>, the API root and its capabilities, the OpenAPI document and the reference page.</summary>
    public static WebApplication MapBatonApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapBatonHealth();
        app.MapOpenApi();
        app.MapScalarApiReference();

        var api = app.MapGroup(Root).RequireAuthorization();
        api.MapGet("/", (ClaimsPrincipal user, BatonOptions options) => new ApiRoot(
                "baton",
                Version,
                options.Mode,
                user.Identity?.Name ?? "",
                user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray(),
                new Dictionary<string, string>
                {
                    ["health"] = HealthEndpoint.Path,
                    ["openapi"] = "/openapi/v1.json",
                    ["reference"] = "/scalar/v1",
                    ["dashboard"] = "/dashboard",
                    ["events"] = Root + EventFeedEndpoint.Path,
                    ["locks"] = Root + LockEndpoints.Path,
                    ["intents"] = Root + IntentEndpoints.Path,
                    ["approvals"] = Root + IntentEndpoints.ApprovalsPath,
                }))
            .WithName("ApiRoot")
            .WithSummary("Who you are to the API, the silo's mode and where to go next.");
        api.MapEventFeed();
        api.MapEntityEndpoints();
        api.MapLocks();
        api.MapIntents();

        app.Lifetime.ApplicationStarted.Register(() => LogStarted(app));
        app.Lifetime.ApplicationStopping.Register(() => app.Services.GetRequiredService<SiloServingState>().MarkStopping());
        return app;
    }

    public static string Version { get; } =
        typeof(BatonApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private static void LogStarted(WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Baton");
        foreach (var warning in app.Services.GetRequiredService<StartupNotes>().Warnings)
        {
            logger.LogWarning("{Warning}", warning);
        }

        var options = app.Services.GetRequiredService<BatonOptions>();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var http = addresses.FirstOrDefault() ?? DefaultUrl;
        logger.LogInformation(
            "Baton ({Mode} mode) serving: dashboard {Dashboard}, health {Health}, API {Api}, OpenAPI {OpenApi}, reference {Reference}; Orleans gateway port {Gateway}",
            options.Mode, $"{http}/dashboard", $"{http}{HealthEndpoint.Path}", $"{http}{Root}", $"{http}/openapi/v1.json", $"{http}/scalar/v1", options.GatewayPort);
    }

    /// <summary>Rewrites every non-loopback URL to 127.0.0.1 with the same scheme and port.</summary>
    internal static string LoopbackOnly(string urls, StartupNotes notes)
    {
        var rewritten = new List<string>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (scheme, host, rest) = SplitUrl(url);
            if (host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)))
            {
                rewritten.Add(url);
                continue;
            }

            var local = $"{scheme}://127.0.0.1{rest}";
            notes.Warnings.Add($"Without API keys the HTTP API listens on loopback only: {url} became {local}.");
            rewritten.Add(local);
        }

        return string.Join(';', rewritten);
    }

    private static (string Scheme, string Host, string Tail) SplitUrl(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? "http" : url[..schemeEnd];
        var afterScheme = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        int hostEnd;
        if (afterScheme.StartsWith('['))
        {
            hostEnd = afterScheme.IndexOf(']') + 1;
        }
        else
        {
            hostEnd = afterScheme.IndexOfAny([':', '/']);
            if (hostEnd < 0)
            {
                hostEnd = afterScheme.Length;
            }
        }

        return (scheme, afterScheme[..hostEnd], afterScheme[hostEnd..]);
    }
}

public sealed record ApiRoot(string Name, string Version, string Mode, string Principal, string[] Roles, Dictionary<string, string> Links);

/// <summary>Warnings gathered while the host is built, logged once it has started.</summary>
public sealed class StartupNotes
{
    public List<string> Warnings { get; } = [];
}
