using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Baton.Tests.Feed;

/// <summary>One Server-Sent Events message as the spec parses it: id, event and data fields (data lines joined).</summary>
public sealed record SseMessage(string? Id, string? Event, string? Data)
{
    public JsonElement Json => JsonDocument.Parse(Data!).RootElement.Clone();
}

/// <summary>A minimal text/event-stream client over <see cref="HttpClient"/>, as an EventSource would read it.</summary>
public sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    /// <summary>The last id the stream set, as EventSource's lastEventId (an id-only message sets it too).</summary>
    public string? LastEventId { get; private set; }

    public HttpResponseMessage Response => _response;

    public static async Task<SseReader> OpenAsync(HttpClient http, string url, string apiKey, string? lastEventId = null, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var stream = await response.Content.ReadAsStreamAsync(ct);
        return new SseReader(response, new StreamReader(stream, Encoding.UTF8));
    }

    /// <summary>The next message, including id-only ones (Data null); null when the stream ended.</summary>
    public async Task<SseMessage?> NextAsync(CancellationToken ct)
    {
        string? id = null, type = null;
        StringBuilder? data = null;
        var any = false;
        while (await _reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (!any)
                {
                    continue;
                }

                if (id is not null)
                {
                    LastEventId = id;
                }

                return new SseMessage(id, type, data?.ToString());
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            any = true;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
            }
        }

        return null;
    }

    /// <summary>Reads events (messages with data) until <paramref name="count"/> arrived or <paramref name="timeout"/> passed.</summary>
    public async Task<List<SseMessage>> ReadEventsAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var events = new List<SseMessage>();
        try
        {
            while (events.Count < count && await NextAsync(cts.Token) is { } message)
            {
                if (message.Data is not null)
                {
                    events.Add(message);
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Timed out: the caller asserts on what arrived.
        }

        return events;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
