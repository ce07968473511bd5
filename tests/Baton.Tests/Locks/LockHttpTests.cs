using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Baton.Contracts.Locks;
using Baton.Tests.Events;

namespace Baton.Tests.Locks;

/// <summary><c>/api/v1/locks</c> against a real host with API keys: status codes, bodies, problem JSON and who may act.</summary>
[Collection(LockApiSiloCollection.Name)]
public sealed class LockHttpTests(LockApiSilo api)
{
    private const string Agent = LockApiSilo.Agent;
    private const string OtherAgent = LockApiSilo.OtherAgent;
    private const string Admin = LockApiSilo.Admin;

    [Fact]
    public async Task Acquire_is_201_with_the_lease_and_423_for_the_next_caller_that_does_not_wait()
    {
        var key = Requests.Key("repo");

        var granted = await Acquire(Agent, new { key, owner = Agent, ttl_seconds = 30, purpose = "deploy" });
        var denied = await Acquire(OtherAgent, new { key, owner = OtherAgent });

        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        var lease = await Json(granted);
        Assert.Equal(key, lease.GetProperty("key").GetString());
        Assert.Equal(Agent, lease.GetProperty("owner").GetString());
        Assert.Equal("exclusive", lease.GetProperty("mode").GetString());
        Assert.Equal(1, lease.GetProperty("fencing_token").GetInt64());
        Assert.StartsWith(key + "#1.", lease.GetProperty("lease_id").GetString());
        var acquiredAt = lease.GetProperty("acquired_at").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromSeconds(30), lease.GetProperty("expires_at").GetDateTimeOffset() - acquiredAt);
        Assert.Equal(HttpStatusCode.Locked, denied.StatusCode);
        Assert.Equal("application/problem+json", denied.Content.Headers.ContentType?.MediaType);
        var problem = await Json(denied);
        Assert.Equal(423, problem.GetProperty("status").GetInt32());
        Assert.Equal("unavailable", problem.GetProperty("outcome").GetString());
        Assert.Contains(Agent, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Waiting_request_gets_202_with_its_position_stays_queued_and_its_status_shows_the_later_grant()
    {
        var key = Requests.Key("env");
        var holder = await Json(await Acquire(Agent, new { key }));
        var requestId = $"req-{Guid.NewGuid():N}";

        var accepted = await Acquire(OtherAgent, new { key, request_id = requestId, wait_for_available = true, max_wait_seconds = 0.5, mode = "exclusive" });
        var queued = await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/locks/requests/{requestId}", OtherAgent));
        var released = await Release(Agent, new { lease_id = holder.GetProperty("lease_id").GetString(), reason = "done" });
        var granted = await Poll.Until(
            async () => await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/locks/requests/{requestId}", OtherAgent)),
            s => s.GetProperty("state").GetString() == "acquired");

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var body = await Json(accepted);
        Assert.Equal(requestId, body.GetProperty("request_id").GetString());
        Assert.Equal(1, body.GetProperty("queue_position").GetInt32());
        Assert.Equal($"/api/v1/locks/requests/{requestId}", accepted.Headers.Location?.OriginalString);
        Assert.Equal("queued", queued.GetProperty("state").GetString());
        Assert.Equal(key, queued.GetProperty("key").GetString());
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        var lease = granted.GetProperty("lease");
        Assert.Equal(OtherAgent, lease.GetProperty("owner").GetString());
        Assert.Equal(2, lease.GetProperty("fencing_token").GetInt64());
    }

    [Fact]
    public async Task Waiting_request_granted_within_max_wait_is_201()
    {
        var key = Requests.Key("env");
        var holder = await Json(await Acquire(Agent, new { key }));

        var waiting = Acquire(OtherAgent, new { key, wait_for_available = true, max_wait_seconds = 20 });
        await Poll.Until(async () => await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/locks/{key}", Agent)),
            d => d.GetProperty("queue").GetArrayLength() == 1);
        await Release(Agent, new { lease_id = holder.GetProperty("lease_id").GetString() });
        var granted = await waiting;

        Assert.Equal(HttpStatusCode.Created, granted.StatusCode);
        Assert.Equal(OtherAgent, (await Json(granted)).GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Heartbeat_is_200_with_the_new_expiry_404_for_an_ended_lease_and_403_for_another_owner()
    {
        var key = Requests.Key("repo");
        var lease = await Json(await Acquire(Agent, new { key, ttl_seconds = 10 }));
        var leaseId = lease.GetProperty("lease_id").GetString();

        var extended = await api.SendAsync(HttpMethod.Post, "/api/v1/locks/heartbeat", Agent, new { lease_id = leaseId, owner = Agent, ttl_seconds = 60 });
        var notHolder = await api.SendAsync(HttpMethod.Post, "/api/v1/locks/heartbeat", Admin, new { lease_id = leaseId, owner = OtherAgent });
        await Release(Agent, new { lease_id = leaseId });
        var ended = await api.SendAsync(HttpMethod.Post, "/api/v1/locks/heartbeat", Agent, new { lease_id = leaseId, ttl_seconds = 30 });
        var unknown = await api.SendAsync(HttpMethod.Post, "/api/v1/locks/heartbeat", Agent, new { lease_id = "no-such-lease" });

        Assert.Equal(HttpStatusCode.OK, extended.StatusCode);
        var body = await Json(extended);
        Assert.InRange(body.GetProperty("expires_at").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddSeconds(50), DateTimeOffset.UtcNow.AddSeconds(61));
        Assert.Equal(HttpStatusCode.Forbidden, notHolder.StatusCode);
        Assert.Contains("not the holder", (await Json(notHolder)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, ended.StatusCode);
        Assert.Equal("released", (await Json(ended)).GetProperty("ended_as").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Agents_act_only_for_themselves()
    {
        var key = Requests.Key("repo");
        var lease = await Json(await Acquire(Agent, new { key }));

        var acquireAsOther = await Acquire(Agent, new { key = Requests.Key("repo"), owner = OtherAgent });
        var releaseAsHolder = await Release(OtherAgent, new { lease_id = lease.GetProperty("lease_id").GetString(), owner = Agent });
        var releaseOwnName = await Release(OtherAgent, new { lease_id = lease.GetProperty("lease_id").GetString() });

        Assert.Equal(HttpStatusCode.Forbidden, acquireAsOther.StatusCode);
        Assert.Equal("owner", (await Json(acquireAsOther)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, releaseAsHolder.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, releaseOwnName.StatusCode);
        Assert.Contains("not the holder", (await Json(releaseOwnName)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Forced_release_is_403_for_an_agent_and_204_for_an_admin_who_is_recorded()
    {
        var key = Requests.Key("repo");
        var lease = await Json(await Acquire(Agent, new { key }));
        var leaseId = lease.GetProperty("lease_id").GetString();

        var byAgent = await Release(OtherAgent, new { lease_id = leaseId, force = true, reason = "stuck" });
        var byAdmin = await Release(Admin, new { lease_id = leaseId, force = true, reason = "stuck deploy" });
        var described = await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/locks/{key}", Agent));

        Assert.Equal(HttpStatusCode.Forbidden, byAgent.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, byAdmin.StatusCode);
        Assert.Equal(0, described.GetProperty("holders").GetArrayLength());
        var ended = described.GetProperty("recently_ended")[0];
        Assert.Equal("force_released", ended.GetProperty("kind").GetString());
        Assert.Equal(Admin, ended.GetProperty("by").GetString());
        Assert.Equal("stuck deploy", ended.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("key", "no-colon")]
    [InlineData("ttl_seconds", "ttl")]
    [InlineData("mode", "mode")]
    [InlineData("priority", "priority")]
    [InlineData("max_wait_seconds", "wait beyond queue")]
    [InlineData("max_wait_seconds", "wait without waiting")]
    public async Task Invalid_input_is_400_problem_json_naming_the_field(string field, string problem)
    {
        var key = Requests.Key("repo");
        object body = problem switch
        {
            "no-colon" => new { key = "nocolon" },
            "ttl" => new { key, ttl_seconds = 1 },
            "mode" => new { key, mode = "sometimes" },
            "priority" => new { key, priority = 101 },
            "wait beyond queue" => new { key, wait_for_available = true, max_wait_seconds = 20, queue_ttl_seconds = 10 },
            "wait without waiting" => new { key, max_wait_seconds = 5 },
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };

        var response = await Acquire(Agent, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = await Json(response);
        Assert.Equal(field, json.GetProperty("field").GetString());
        Assert.True(json.GetProperty("errors").TryGetProperty(field, out _), $"errors does not name {field}: {json}");
    }

    [Fact]
    public async Task Describe_shows_holders_and_queue_and_the_owner_list_filters_by_key_prefix()
    {
        var prefix = $"list{Guid.NewGuid():N}"[..12];
        var first = $"{prefix}:a/b";
        var second = $"other:{Guid.NewGuid():N}";
        await Acquire(Agent, new { key = first, purpose = "build" });
        await Acquire(Agent, new { key = second });
        await Acquire(OtherAgent, new { key = first, wait_for_available = true, max_wait_seconds = 0 });

        var described = await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/locks/{first}", OtherAgent));
        var listed = await Poll.Until(
            async () => await Json(await api.SendAsync(HttpMethod.Get, $"/api/v1/locks?owner={Agent}&key_prefix={prefix}", OtherAgent)),
            l => l.GetProperty("held").GetArrayLength() >= 1);
        var mine = await Poll.Until(
            async () => await Json(await api.SendAsync(HttpMethod.Get, "/api/v1/locks", OtherAgent)),
            l => l.GetProperty("waiting").EnumerateArray().Any(w => w.GetProperty("key").GetString() == first));

        var holder = Assert.Single(described.GetProperty("holders").EnumerateArray());
        Assert.Equal(Agent, holder.GetProperty("owner").GetString());
        Assert.Equal("build", holder.GetProperty("purpose").GetString());
        var waiter = Assert.Single(described.GetProperty("queue").EnumerateArray());
        Assert.Equal(OtherAgent, waiter.GetProperty("owner").GetString());
        Assert.Equal(1, waiter.GetProperty("position").GetInt32());
        Assert.Equal(first, Assert.Single(listed.GetProperty("held").EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal(OtherAgent, mine.GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Deadlocks_list_is_served_and_unknown_requests_are_404()
    {
        var deadlocks = await api.SendAsync(HttpMethod.Get, "/api/v1/locks/deadlocks", Agent);
        var unknown = await api.SendAsync(HttpMethod.Get, $"/api/v1/locks/requests/never-{Guid.NewGuid():N}", Agent);

        Assert.Equal(HttpStatusCode.OK, deadlocks.StatusCode);
        Assert.Equal(JsonValueKind.Array, (await Json(deadlocks)).ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_request_id_names_one_request_on_one_key()
    {
        var requestId = $"req-{Guid.NewGuid():N}";
        var first = await Acquire(Agent, new { key = Requests.Key("repo"), request_id = requestId, wait_for_available = true });
        var reused = await Acquire(Agent, new { key = Requests.Key("repo"), request_id = requestId, wait_for_available = true });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Equal("request_id", (await Json(reused)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Retrying_an_acquire_with_the_same_request_id_returns_the_same_lease()
    {
        var key = Requests.Key("repo");
        var requestId = $"req-{Guid.NewGuid():N}";

        var first = await Json(await Acquire(Agent, new { key, request_id = requestId }));
        var retry = await Json(await Acquire(Agent, new { key, request_id = requestId }));

        Assert.Equal(first.GetProperty("lease_id").GetString(), retry.GetProperty("lease_id").GetString());
        Assert.Equal(LockLeaseId.TryGetKey(first.GetProperty("lease_id").GetString(), out var parsed) ? parsed : null, key);
    }

    private Task<HttpResponseMessage> Acquire(string principal, object body) => api.SendAsync(HttpMethod.Post, "/api/v1/locks/acquire", principal, body);

    private Task<HttpResponseMessage> Release(string principal, object body) => api.SendAsync(HttpMethod.Post, "/api/v1/locks/release", principal, body);

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();
}
