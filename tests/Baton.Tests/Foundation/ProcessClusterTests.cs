using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Baton.Client;
using Baton.Tests.Infrastructure;
using Orleans.Runtime;

namespace Baton.Tests.Foundation;

/// <summary>
/// Three silo processes on one machine against one PostgreSQL form one cluster; a client reaches
/// it through any gateway, and stopping one silo leaves the other two serving.
/// </summary>
[Collection("postgres")]
public sealed class ProcessClusterTests(PostgresFixture postgres)
{
    private const string ApiKey = "process-cluster-key-0123456789";

    [Fact]
    public async Task Three_silo_processes_form_one_cluster_that_survives_stopping_one()
    {
        var database = await postgres.CreateDatabaseAsync();
        var silos = Enumerable.Range(0, 3).Select(_ => new Ports(FreePort.Next(), FreePort.Next(), FreePort.Next())).ToArray();
        var processes = silos.Select(p => SiloProcess.Start(new Dictionary<string, string>
        {
            ["Baton__Postgres"] = database,
            ["Baton__AdvertisedAddress"] = "127.0.0.1",
            ["Baton__SiloPort"] = p.Silo.ToString(),
            ["Baton__GatewayPort"] = p.Gateway.ToString(),
            ["Baton__ApiKeys__0__Key"] = ApiKey,
            ["Baton__ApiKeys__0__Principal"] = "ops",
            ["Baton__ApiKeys__0__Roles__0"] = "admin",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{p.Http}",
        })).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            foreach (var (ports, process) in silos.Zip(processes))
            {
                await WaitForHealthAsync(http, ports.Http, process, activeSilos: 3);
            }

            // Through the gateway of the third silo only.
            await using (var client = await BatonClient.ConnectAsync(
                new BatonClientOptions { Gateways = [$"127.0.0.1:{silos[2].Gateway}"], ConnectTimeout = TimeSpan.FromSeconds(20) }, CancellationToken.None))
            {
                var status = await client.GetClusterStatusAsync();
                Assert.Equal(3, status.Count(s => s.Status == SiloStatus.Active));
                Assert.All(status, s => Assert.True(s.Activations >= 0));
            }

            // A graceful stop (SIGTERM, as Kubernetes and docker do) leaves the other two serving.
            Signal(processes[0], "TERM");
            Assert.Equal(0, await processes[0].WaitForExitAsync(TimeSpan.FromSeconds(90)));
            foreach (var i in new[] { 1, 2 })
            {
                await WaitForHealthAsync(http, silos[i].Http, processes[i], activeSilos: 2);
            }

            // A client that discovers gateways from the membership table still gets in.
            await using (var client = await BatonClient.ConnectAsync(
                new BatonClientOptions { Postgres = database, ConnectTimeout = TimeSpan.FromSeconds(20) }, CancellationToken.None))
            {
                var status = await client.GetClusterStatusAsync();
                Assert.Equal(2, status.Count(s => s.Status == SiloStatus.Active));
                Assert.DoesNotContain(status, s => s.Status == SiloStatus.Active && s.Address.EndsWith($":{silos[0].Silo}"));
            }

            var root = await AuthorizedGetAsync(http, silos[1].Http, "/api/v1");
            Assert.Equal("postgres", root.GetProperty("mode").GetString());
            Assert.Equal("ops", root.GetProperty("principal").GetString());
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    private static async Task WaitForHealthAsync(HttpClient http, int port, SiloProcess process, int activeSilos)
    {
        var deadline = Stopwatch.StartNew();
        JsonElement? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            Assert.False(process.HasExited, $"silo on {port} exited: {process.StandardError}");
            try
            {
                var response = await http.GetAsync($"http://127.0.0.1:{port}/healthz");
                if (response.IsSuccessStatusCode)
                {
                    var health = await response.Content.ReadFromJsonAsync<JsonElement>();
                    last = health;
                    if (health.GetProperty("active_silos").GetInt32() == activeSilos)
                    {
                        Assert.Equal("postgres", health.GetProperty("mode").GetString());
                        return;
                    }
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Busy starting.
            }

            await Task.Delay(500);
        }

        Assert.Fail($"silo on {port} did not report {activeSilos} active silos; last health: {last}; log: {process.StandardOutput}");
    }

    private static async Task<JsonElement> AuthorizedGetAsync(HttpClient http, int port, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        request.Headers.Authorization = new("Bearer", ApiKey);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static void Signal(SiloProcess process, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString()]);
        kill.WaitForExit();
    }

    private sealed record Ports(int Http, int Silo, int Gateway);
}
