using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Baton.Tests.Infrastructure;

namespace Baton.Tests.Entities;

/// <summary>One dev-mode silo host with its HTTP API, shared by the entity HTTP tests.</summary>
public sealed class EntityApiSilo : IAsyncLifetime
{
    public InProcessSilo Silo { get; private set; } = null!;

    public HttpClient Http => Silo.Http;

    public async Task InitializeAsync() => Silo = await InProcessSilo.StartAsync();

    public async Task DisposeAsync() => await Silo.DisposeAsync();
}

/// <summary>Entities and kinds over HTTP: ETag and If-Match, merge patch, problem JSON for refusals, idempotent retries, and no secret in the silo's log.</summary>
public sealed class EntityHttpTests(EntityApiSilo api) : IClassFixture<EntityApiSilo>
{
    private const string Schema = """
        { "type": "object", "required": ["status"],
          "properties": { "status": { "type": "string", "enum": ["up", "down"] }, "replicas": { "type": "integer" } } }
        """;

    private HttpClient Http => api.Http;

    [Fact]
    public async Task A_kind_is_defined_and_described_and_an_unknown_kind_is_404()
    {
        var kind = EntityGrainTests.NewKind();
        var defined = await DefineAsync(kind, Schema, secretFields: ["token"], derivers: """[{ "field": "status", "op": "changed_to", "value": "down" }]""");
        var described = await Http.GetFromJsonAsync<JsonElement>($"/api/v1/kinds/{kind}");
        var unknown = await Http.GetAsync($"/api/v1/kinds/{EntityGrainTests.NewKind()}");
        var invalid = await Http.PutAsync($"/api/v1/kinds/{kind}", Json("""{ "schema": { "$ref": "file:///etc/passwd" } }"""));

        Assert.Equal(1, defined.GetProperty("version").GetInt64());
        Assert.Equal(1, described.GetProperty("version").GetInt64());
        Assert.Equal("object", described.GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal("token", described.GetProperty("secret_fields")[0].GetString());
        Assert.Equal("status.down", described.GetProperty("derivers")[0].GetProperty("event").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.True((await Problem(invalid)).TryGetProperty("field", out var field), await invalid.Content.ReadAsStringAsync());
        Assert.Equal("Schema", field.GetString());
    }

    [Fact]
    public async Task The_etag_is_the_version_and_if_match_guards_writes_with_412()
    {
        var kind = EntityGrainTests.NewKind();
        await DefineAsync(kind);
        var url = $"/api/v1/entities/{kind}/web-1";

        var created = await SendAsync(HttpMethod.Put, url, """{"status":"up","replicas":2}""", ifMatch: "\"0\"");
        var read = await Http.GetAsync(url);
        var stale = await SendAsync(HttpMethod.Put, url, """{"status":"down"}""", ifMatch: "\"0\"");
        var current = await SendAsync(HttpMethod.Put, url, """{"status":"down"}""", ifMatch: "\"1\"");
        var star = await SendAsync(HttpMethod.Put, url, """{"status":"up"}""", ifMatch: "*");
        var malformed = await SendAsync(HttpMethod.Put, url, """{"status":"up"}""", ifMatch: "W/\"3\"");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("\"1\"", created.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("\"1\"", read.Headers.ETag?.Tag);
        var document = await read.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, document.GetProperty("state").GetProperty("replicas").GetInt32());
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("\"1\"", stale.Headers.ETag?.Tag);
        Assert.Equal(1, (await Problem(stale)).GetProperty("current_version").GetInt64());
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal("\"2\"", current.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.OK, star.StatusCode);
        Assert.Equal("\"3\"", star.Headers.ETag?.Tag);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        var deleteStale = await SendAsync(HttpMethod.Delete, url, null, ifMatch: "\"2\"");
        var delete = await SendAsync(HttpMethod.Delete, url, null, ifMatch: "\"3\"");
        var gone = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.PreconditionFailed, deleteStale.StatusCode);
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal(4, (await Problem(gone)).GetProperty("version").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/v1/entities/{kind}/never")).StatusCode);
    }

    [Fact]
    public async Task Patch_applies_a_json_merge_patch_and_history_records_each_field()
    {
        var kind = EntityGrainTests.NewKind();
        await DefineAsync(kind);
        var url = $"/api/v1/entities/{kind}/svc%2Fapi";
        await SendAsync(HttpMethod.Put, url, """{"status":"up","replicas":2,"labels":{"team":"a","tier":"web"}}""");

        var patched = await SendAsync(HttpMethod.Patch, url, """{"replicas":null,"labels":{"tier":null,"zone":"eu"}}""", mediaType: "application/merge-patch+json");
        var wrongType = await SendAsync(HttpMethod.Patch, url, """{"replicas":3}""", mediaType: "text/plain");

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var result = await patched.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("svc/api", result.GetProperty("id").GetString());
        Assert.Equal("""{"status":"up","labels":{"team":"a","zone":"eu"}}""", result.GetProperty("state").GetRawText());
        Assert.Equal(["labels", "replicas"], result.GetProperty("changed_fields").EnumerateArray().Select(f => f.GetString()!).ToArray());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);

        var history = await Http.GetFromJsonAsync<JsonElement>($"{url}/history?field=replicas");
        var transitions = history.GetProperty("transitions").EnumerateArray().ToList();
        Assert.Equal(2, transitions.Count);
        Assert.False(transitions[0].TryGetProperty("to", out _));
        Assert.Equal(2, transitions[0].GetProperty("from").GetInt32());
        Assert.Equal("local-admin", transitions[0].GetProperty("actor").GetString());
        var limited = await Http.GetFromJsonAsync<JsonElement>($"{url}/history?limit=1");
        Assert.Single(limited.GetProperty("transitions").EnumerateArray());

        var since = await Http.GetFromJsonAsync<JsonElement>($"{url}/state-since?field=status");
        Assert.Equal("up", since.GetProperty("value").GetString());
        Assert.Equal(1, since.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Refusals_are_problem_json_422_for_the_schema_and_undefined_kinds_and_400_for_bad_input()
    {
        var kind = EntityGrainTests.NewKind();
        await DefineAsync(kind, Schema);

        var schema = await SendAsync(HttpMethod.Put, $"/api/v1/entities/{kind}/a", """{"status":"sideways","replicas":"two"}""");
        var undefined = await SendAsync(HttpMethod.Put, $"/api/v1/entities/{EntityGrainTests.NewKind()}/a", """{"status":"up"}""");
        var badKind = await SendAsync(HttpMethod.Put, "/api/v1/entities/Upper/a", """{"status":"up"}""");
        var badId = await SendAsync(HttpMethod.Put, $"/api/v1/entities/{kind}/{new string('x', 201)}", """{"status":"up"}""");
        var badJson = await SendAsync(HttpMethod.Put, $"/api/v1/entities/{kind}/a", """{"status":""");
        var badLimit = await Http.GetAsync($"/api/v1/entities/{kind}/a/history?limit=lots");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, schema.StatusCode);
        Assert.Equal("application/problem+json", schema.Content.Headers.ContentType?.MediaType);
        var errors = (await Problem(schema)).GetProperty("errors").EnumerateArray().ToList();
        Assert.Contains(errors, e => e.GetProperty("path").GetString()!.Contains("status") && e.GetProperty("kind").GetString() == "NotInEnumeration");
        Assert.Contains(errors, e => e.GetProperty("path").GetString()!.Contains("replicas"));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/v1/entities/{kind}/a")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, undefined.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badKind.StatusCode);
        Assert.Equal("Kind", (await Problem(badKind)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Equal("id", (await Problem(badId)).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Equal("State", (await Problem(badJson)).GetProperty("field").GetString());
        Assert.Equal("limit", (await Problem(badLimit)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_retry_with_the_same_request_id_gets_the_first_answer()
    {
        var kind = EntityGrainTests.NewKind();
        await DefineAsync(kind);
        var url = $"/api/v1/entities/{kind}/counter";

        var first = await SendAsync(HttpMethod.Patch, url, """{"n":1}""", requestId: "http-req-1");
        await SendAsync(HttpMethod.Patch, url, """{"n":2}""", requestId: "http-req-2");
        var retry = await SendAsync(HttpMethod.Patch, url, """{"n":1}""", requestId: "http-req-1");

        var a = await first.Content.ReadFromJsonAsync<JsonElement>();
        var b = await retry.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("change_id").GetString(), b.GetProperty("change_id").GetString());
        Assert.Equal(1, b.GetProperty("version").GetInt64());
        Assert.Equal("http-req-1", retry.Headers.GetValues("Request-Id").Single());
        Assert.Equal("\"2\"", (await Http.GetAsync(url)).Headers.ETag?.Tag);
    }

    [Fact]
    public async Task Secret_values_never_reach_the_silo_log()
    {
        var kind = EntityGrainTests.NewKind();
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        await DefineAsync(kind, secretFields: ["api_key"]);
        var url = $"/api/v1/entities/{kind}/integration";

        await SendAsync(HttpMethod.Put, url, $$"""{"owner":"team-a","api_key":"{{secret}}"}""");
        await SendAsync(HttpMethod.Patch, url, $$"""{"api_key":"{{secret}}-2","owner":"team-b"}""");
        var read = await Http.GetFromJsonAsync<JsonElement>(url);

        Assert.Equal(secret + "-2", read.GetProperty("state").GetProperty("api_key").GetString());
        var log = api.Silo.Log.Text;
        Assert.Contains($"Entity {kind}/integration changed to version 2", log);
        Assert.Contains("api_key: \"***\" -> \"***\"", log);
        Assert.Contains("\"team-b\"", log);
        Assert.DoesNotContain(secret, log);
    }

    private async Task<JsonElement> DefineAsync(string kind, string schema = "{}", string[]? secretFields = null, string derivers = "[]")
    {
        var body = $$"""{ "schema": {{schema}}, "secret_fields": {{JsonSerializer.Serialize(secretFields ?? [])}}, "derivers": {{derivers}} }""";
        var response = await Http.PutAsync($"/api/v1/kinds/{kind}", Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body, string? ifMatch = null, string? requestId = null, string mediaType = "application/json")
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (requestId is not null)
        {
            request.Headers.Add("Request-Id", requestId);
        }

        return await Http.SendAsync(request);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Problem(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();
}
