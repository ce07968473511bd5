using Baton.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Tests.Infrastructure;

/// <summary>
/// The real silo host (<see cref="SiloApp"/>) started in this process on free ports, with Kestrel
/// on loopback and every log line captured.
/// </summary>
public sealed class InProcessSilo : IAsyncDisposable
{
    private InProcessSilo(WebApplication app, CapturedLog log, int gatewayPort)
    {
        App = app;
        Log = log;
        GatewayPort = gatewayPort;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Http = new HttpClient { BaseAddress = new Uri(address.Replace("0.0.0.0", "127.0.0.1")) };
    }

    public WebApplication App { get; }

    public CapturedLog Log { get; }

    public HttpClient Http { get; }

    public int GatewayPort { get; }

    public IReadOnlyCollection<string> Addresses =>
        [.. App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    /// <param name="settings">Configuration as <c>Baton:Key=value</c> pairs.</param>
    public static async Task<InProcessSilo> StartAsync(IDictionary<string, string?>? settings = null, string? urls = null)
    {
        var gatewayPort = FreePort.Next();
        var args = new List<string>
        {
            $"--urls={urls ?? "http://127.0.0.1:0"}",
            $"--Baton:SiloPort={FreePort.Next()}",
            $"--Baton:GatewayPort={gatewayPort}",
        };
        args.AddRange((settings ?? new Dictionary<string, string?>()).Select(kv => $"--{kv.Key}={kv.Value}"));

        var log = new CapturedLog();
        var app = SiloApp.Build(args.ToArray(), builder =>
        {
            builder.Logging.AddProvider(log);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        });
        await app.StartAsync();
        return new InProcessSilo(app, log, gatewayPort);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
