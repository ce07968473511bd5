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

namespace Baton.Benchmarks.Harness;

/// <summary>
/// The outside world for the intents suite: a Kestrel receiver on loopback in the benchmark process that answers 200
/// to every request, counts requests, checks each body's <c>X-Baton-Signature-256</c> (HMAC-SHA256 with the secret the
/// silos are configured with) and counts effective writes: one per distinct <c>Idempotency-Key</c>, so a repeated
/// attempt of the same intent is counted as a request but not as a second write.
/// </summary>
public sealed class HttpSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly byte[] _secret;
    private readonly ConcurrentDictionary<string, byte> _applied = new(StringComparer.Ordinal);
    private long _requests;
    private long _unsigned;

    private HttpSink(WebApplication app, string secret)
    {
        _app = app;
        _secret = Encoding.UTF8.GetBytes(secret);
    }

    public Uri BaseUrl { get; private set; } = null!;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests without an Idempotency-Key or with a signature that does not match their body (answered 401).</summary>
    public long Refused => Interlocked.Read(ref _unsigned);

    /// <summary>Distinct Idempotency-Keys answered 200.</summary>
    public long EffectiveWrites => _applied.Count;

    public string Url(string path) => new Uri(BaseUrl, path).ToString();

    public static async Task<HttpSink> StartAsync(string secret)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new HttpSink(app, secret);
        app.Run(sink.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.BaseUrl = new Uri(address.EndsWith('/') ? address : address + "/");
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var signature = http.Request.Headers["X-Baton-Signature-256"].FirstOrDefault();
        if (key is null || !SignatureMatches(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), signature))
        {
            Interlocked.Increment(ref _unsigned);
            http.Response.StatusCode = 401;
            return;
        }

        _applied.TryAdd(key, 0);
        http.Response.StatusCode = 200;
    }

    private bool SignatureMatches(ReadOnlySpan<byte> body, string? header)
    {
        if (header is null)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(_secret, body)));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(header));
    }
}
