using System.Net;
using System.Text;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Foundation;

/// <summary>Stopping a dev silo (Ctrl+C) after entities, locks and intents were used ends quietly: no error is logged on the way out.</summary>
public sealed class DevSiloShutdownTests
{
    [Fact]
    public async Task A_dev_silo_stops_without_logging_errors_after_entities_and_locks_were_used()
    {
        var silo = await InProcessSilo.StartAsync();
        try
        {
            var kind = $"shutdown-{Guid.NewGuid():N}"[..20];
            Assert.Equal(HttpStatusCode.OK, (await silo.Http.PutAsync($"/api/v1/kinds/{kind}", Json("""{ "schema": { "type": "object" } }"""))).StatusCode);
            for (var i = 0; i < 5; i++)
            {
                var written = await silo.Http.PutAsync($"/api/v1/entities/{kind}/e{i}", Json($$"""{ "status": "open", "n": {{i}} }"""));
                Assert.True(written.IsSuccessStatusCode, await written.Content.ReadAsStringAsync());
                var locked = await silo.Http.PostAsync("/api/v1/locks/acquire", Json($$"""{ "key": "repo:{{kind}}-{{i}}", "owner": "agent", "ttl_seconds": 30, "request_id": "{{kind}}-{{i}}" }"""));
                Assert.Equal(HttpStatusCode.Created, locked.StatusCode);
            }
        }
        finally
        {
            await silo.DisposeAsync();
        }

        var problems = silo.Log.Lines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal) || l.StartsWith("Critical ", StringComparison.Ordinal)
            || l.Contains("could not persist the removal", StringComparison.Ordinal)).ToList();
        Assert.True(problems.Count == 0, "logged on shutdown:\n" + string.Join("\n", problems.Select(p => p.Split('\n')[0])));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
