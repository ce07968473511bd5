using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Baton.Contracts.Intents;

namespace Baton.Grains.Intents.Executors;

/// <summary>
/// The <c>http</c> executor's payload: <c>{ "method", "url", "headers": { name: value }, "body" }</c>. A string body is
/// sent as it is; any other JSON body is sent as its JSON text (<c>application/json</c> unless a Content-Type header says otherwise).
/// </summary>
public sealed record HttpWriteRequest(HttpMethod Method, Uri Url, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, string ContentType)
{
    /// <summary>Headers the executor sets itself; a payload may not set them.</summary>
    public static readonly IReadOnlyList<string> Reserved = [HttpSigning.IdempotencyHeader, HttpSigning.SignatureHeader, "Content-Length", "Host"];

    private static readonly string[] SensitiveHeaders = ["authorization", "proxy-authorization", "cookie", "x-api-key"];

    /// <summary>Throws <see cref="IntentValidationException"/> (field <c>Payload</c>) when the payload is not a valid request.</summary>
    public static HttpWriteRequest Parse(string payload)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(payload);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw Invalid($"is not JSON: {ex.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("must be an object { method, url, headers, body }");
        }

        var method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "POST";
        if (method.Length is 0 or > 16 || !method.All(char.IsAsciiLetterUpper))
        {
            throw Invalid($"method must be an upper-case HTTP method (got '{method}')");
        }

        if (!root.TryGetProperty("url", out var u) || u.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(u.GetString(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw Invalid("url must be an absolute http or https URL");
        }

        var headers = new List<KeyValuePair<string, string>>();
        string? contentType = null;
        if (root.TryGetProperty("headers", out var h) && h.ValueKind != JsonValueKind.Null)
        {
            if (h.ValueKind != JsonValueKind.Object)
            {
                throw Invalid("headers must be an object of strings");
            }

            foreach (var header in h.EnumerateObject())
            {
                if (header.Value.ValueKind != JsonValueKind.String)
                {
                    throw Invalid($"header '{header.Name}' must be a string");
                }

                if (Reserved.Contains(header.Name, StringComparer.OrdinalIgnoreCase))
                {
                    throw Invalid($"header '{header.Name}' is set by Baton and may not be given");
                }

                if (string.Equals(header.Name, "Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    contentType = header.Value.GetString();
                }
                else
                {
                    headers.Add(new(header.Name, header.Value.GetString()!));
                }
            }
        }

        byte[] body = [];
        if (root.TryGetProperty("body", out var b) && b.ValueKind != JsonValueKind.Null)
        {
            body = b.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetBytes(b.GetString()!) : Encoding.UTF8.GetBytes(b.GetRawText());
            contentType ??= b.ValueKind == JsonValueKind.String ? "text/plain; charset=utf-8" : "application/json";
        }

        return new HttpWriteRequest(new HttpMethod(method), url, headers, body, contentType ?? "application/json");
    }

    /// <summary>The request for people and previews: sensitive header values masked, the body's size not its bytes.</summary>
    public string Describe() => JsonSerializer.Serialize(new
    {
        method = Method.Method,
        url = Url.ToString(),
        headers = Headers.ToDictionary(kv => kv.Key, kv => SensitiveHeaders.Contains(kv.Key.ToLowerInvariant()) ? "***" : kv.Value),
        content_type = ContentType,
        body_bytes = Body.Length,
    });

    private static IntentValidationException Invalid(string why) => new(nameof(ProposeRequest.Payload), why);
}

/// <summary>The headers Baton adds to every <c>http</c> write, and how the body is signed.</summary>
public static class HttpSigning
{
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary><c>sha256=&lt;lowercase hex HMAC-SHA256 of the body bytes&gt;</c>, keyed with <c>Baton:Intents:HttpSigningSecret</c>.</summary>
    public const string SignatureHeader = "X-Baton-Signature-256";

    /// <summary>The fence a write is made under, <c>&lt;lock key&gt; &lt;token&gt;</c>, so the receiver can refuse stale tokens too.</summary>
    public const string FenceHeader = "X-Baton-Fence";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Checks a <see cref="SignatureHeader"/> value in constant time.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, body)), Encoding.ASCII.GetBytes(header));
}
