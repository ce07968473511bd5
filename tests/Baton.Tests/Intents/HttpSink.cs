using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Tests.Intents;

/// <summary>A request as the sink received it.</summary>
public sealed record SinkRequest(int Number, string Method, string Path, string? IdempotencyKey, string? Signature, bool SignatureValid, string? Fence, byte[] Body);

/// <summary>
/// A real Kestrel receiver on loopback standing in for the outside world. It checks the HMAC-SHA256 signature of every
/// body in constant time (401 when it is wrong), de-duplicates writes by Idempotency-Key (a key already applied is
/// answered 200 again without writing) and counts effective writes; <see cref="Respond"/> decides the answer to every
/// request whose key was not applied yet (a 2xx answer applies it).
/// </summary>
public sealed class HttpSink : IAsyncDisposable
{
    /// <summary>The signing secret the intent clusters configure as <c>Baton:Intents:HttpSigningSecret</c>.</summary>
    public const string Secret = "sink-secret-5b7d0c2e";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SinkRequest> _requests = new();
    private readonly ConcurrentDictionary<string, byte[]> _applied = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _count;

    private HttpSink(WebApplication app) => _app = app;

    /// <summary>The status for a request whose key was not applied yet; 200 unless set.</summary>
    public Func<SinkRequest, Task<int>> Respond { get; set; } = _ => Task.FromResult(200);

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<SinkRequest> Requests => [.. _requests];

    /// <summary>Writes applied: one per distinct Idempotency-Key answered 2xx.</summary>
    public int EffectiveWrites => _applied.Count;

    public string Url(string path) => new Uri(BaseUrl, path).ToString();

    public static async Task<HttpSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new HttpSink(app);
        app.Run(sink.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return sink;
    }

    public static bool SignatureMatches(byte[] body, string? header)
    {
        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), body)));
        return header is not null && CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(header));
    }

    private async Task HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var signature = http.Request.Headers["X-Baton-Signature-256"].FirstOrDefault();
        var request = new SinkRequest(Interlocked.Increment(ref _count), http.Request.Method, http.Request.Path, key, signature,
            SignatureMatches(body, signature), http.Request.Headers["X-Baton-Fence"].FirstOrDefault(), body);
        _requests.Enqueue(request);
        if (!request.SignatureValid)
        {
            http.Response.StatusCode = 401;
            return;
        }

        if (string.IsNullOrEmpty(key))
        {
            http.Response.StatusCode = 400;
            return;
        }

        if (_applied.ContainsKey(key))
        {
            // A repeat of an applied write: answer as before, write nothing.
            http.Response.StatusCode = 200;
            return;
        }

        var status = await Respond(request);
        if (status is >= 200 and < 300)
        {
            await _writeGate.WaitAsync();
            try
            {
                if (!_applied.TryAdd(key, body))
                {
                    status = 200;
                }
            }
            finally
            {
                _writeGate.Release();
            }
        }

        http.Response.StatusCode = status;
        await http.Response.WriteAsync(status >= 400 ? $"sink says {status}" : "ok");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
