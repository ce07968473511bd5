using System.Globalization;
using System.Net.Http.Headers;
using Baton.Contracts.Intents;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Grains.Intents.Executors;

/// <summary>
/// Sends the intent's payload (<see cref="HttpWriteRequest"/>) as one HTTP request with <c>Idempotency-Key</c> set to
/// the intent's key and the body signed in <c>X-Baton-Signature-256</c>. 2xx succeeded; 5xx, 408, 429, timeouts and
/// connection errors are retryable; other statuses fail at once (see <see cref="RetrySchedule.Classify(int)"/>).
/// </summary>
public sealed class HttpWriteExecutor(IHttpClientFactory clients, IOptions<IntentOptions> options, ILogger<HttpWriteExecutor> logger) : IWriteExecutor
{
    public const string Key = "http";

    private const int MaxDetailBody = 300;

    public string InterfaceKey => Key;

    public Task<ExecutionPreview> PreviewAsync(Intent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var request = HttpWriteRequest.Parse(intent.Payload);
        return Task.FromResult(new ExecutionPreview
        {
            Summary = string.Create(CultureInfo.InvariantCulture, $"{request.Method} {request.Url} ({request.Body.Length} bytes)"),
            Detail = request.Describe(),
        });
    }

    public async Task<ExecutionResult> ExecuteAsync(Intent intent, string idempotencyKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        HttpWriteRequest request;
        try
        {
            request = HttpWriteRequest.Parse(intent.Payload);
        }
        catch (IntentValidationException ex)
        {
            return new ExecutionResult { Outcome = ExecutionOutcome.PermanentFailure, Detail = ex.Message };
        }

        using var message = new HttpRequestMessage(request.Method, request.Url);
        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        message.Headers.TryAddWithoutValidation(HttpSigning.IdempotencyHeader, idempotencyKey);
        if (intent.Fence is { } fence)
        {
            message.Headers.TryAddWithoutValidation(HttpSigning.FenceHeader, string.Create(CultureInfo.InvariantCulture, $"{fence.LockKey} {fence.Token}"));
        }

        if (options.Value.HttpSigningSecret is { Length: > 0 } secret)
        {
            message.Headers.TryAddWithoutValidation(HttpSigning.SignatureHeader, HttpSigning.Sign(secret, request.Body));
        }

        if (request.Body.Length > 0 || request.Method != HttpMethod.Get)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }

        try
        {
            using var response = await clients.CreateClient(IntentServiceCollectionExtensions.HttpClientName)
                .SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            var outcome = RetrySchedule.Classify(status);
            var detail = string.Create(CultureInfo.InvariantCulture, $"{request.Method} {request.Url.GetLeftPart(UriPartial.Path)} answered {status} {response.ReasonPhrase}");
            if (outcome != ExecutionOutcome.Succeeded)
            {
                var body = await ReadStartAsync(response.Content, ct);
                if (body.Length > 0)
                {
                    detail += ": " + body;
                }
            }

            logger.LogInformation("Intent {IntentId}: {Method} {Url} answered {Status}.", intent.Id, request.Method, request.Url.GetLeftPart(UriPartial.Path), status);
            return new ExecutionResult { Outcome = outcome, StatusCode = status, Detail = detail };
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            logger.LogInformation("Intent {IntentId}: {Method} {Url} failed: {Error}.", intent.Id, request.Method, request.Url.GetLeftPart(UriPartial.Path), ex.Message);
            return new ExecutionResult { Outcome = RetrySchedule.Classify(ex), Detail = $"{request.Method} {request.Url.GetLeftPart(UriPartial.Path)} failed: {ex.GetType().Name}: {ex.Message}" };
        }
    }

    private static async Task<string> ReadStartAsync(HttpContent content, CancellationToken ct)
    {
        try
        {
            var text = await content.ReadAsStringAsync(ct);
            return text.Length > MaxDetailBody ? text[..MaxDetailBody] + "…" : text;
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }
}
