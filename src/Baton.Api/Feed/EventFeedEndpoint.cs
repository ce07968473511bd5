using System.Buffers;
using System.Text;
using System.Text.Json;
using Baton.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Api.Feed;

/// <summary>
/// <c>GET /api/v1/events</c>: the change feed as Server-Sent Events. Each event's SSE <c>id</c> is
/// its cursor; a client resumes with <c>Last-Event-ID</c> (as browsers' EventSource do on
/// reconnect) or <c>?after=</c>. A cursor the log can no longer serve without a gap is refused
/// with 410 before anything streams.
/// </summary>
public static class EventFeedEndpoint
{
    public const string Path = "/events";

    public const string CursorExpiredType = "https://baton.dev/problems/cursor-expired";

    public const string CursorExpiredTitle = "cursor expired, re-list";

    public const string LastEventIdHeader = "Last-Event-ID";

    internal static RouteGroupBuilder MapEventFeed(this RouteGroupBuilder api)
    {
        api.MapGet(Path, StreamAsync)
            .RequireAuthorization(BatonPolicies.AnyRole)
            .WithName("EventFeed")
            .WithSummary("The change feed as Server-Sent Events; resume with Last-Event-ID or ?after=<cursor>.")
            .WithDescription(
                "types: comma-separated exact types (entity.changed) or prefixes (lock.*); absent means every type. " +
                "after: a cursor (an SSE id) to resume after; absent means from now. Last-Event-ID wins over after. " +
                "Each SSE message: id = cursor, event = type, data = the envelope as JSON (snake_case). " +
                "A cursor older than the retention window gets 410 with problem type " + CursorExpiredType + ": re-list, then watch from now.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status410Gone);
        return api;
    }

    private static Task StreamAsync(HttpContext http, [FromQuery] string? types, [FromQuery] string? after, CancellationToken aborted)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!EventTypeFilter.TryParse(types, out var filter, out var filterError))
        {
            errors["types"] = [filterError];
        }

        return ServeAsync(http, filter is null ? null : FeedFilter.Of(filter), errors, after, aborted);
    }

    /// <summary>
    /// Streams the events that match <paramref name="filter"/> as Server-Sent Events, from the cursor in
    /// <c>Last-Event-ID</c> or <paramref name="after"/> (or from now), until the client goes away. The caller's
    /// request <paramref name="errors"/> and a malformed cursor are answered with 400 before anything streams,
    /// an expired cursor with 410. Shared by every SSE view of the feed (<c>/events</c>, <c>/entities/{kind}/watch</c>).
    /// </summary>
    internal static async Task ServeAsync(HttpContext http, FeedFilter? filter, Dictionary<string, string[]> errors, string? after, CancellationToken aborted)
    {
        var grains = http.RequestServices.GetRequiredService<IGrainFactory>();
        var options = http.RequestServices.GetRequiredService<EventFeedOptions>();
        var loggers = http.RequestServices.GetRequiredService<ILoggerFactory>();
        var lastEventId = http.Request.Headers[LastEventIdHeader].ToString();
        var (cursorText, cursorSource) = lastEventId.Length > 0 ? (lastEventId, LastEventIdHeader) : (after, "after");
        if (cursorText is not null && !FeedCursor.TryParse(cursorText, out _))
        {
            errors[cursorSource] = [$"'{Shorten(cursorText)}' is not a feed cursor: pass back an SSE id this feed sent, or omit it to start from now."];
        }

        if (errors.Count > 0 || filter is null)
        {
            await Results.ValidationProblem(errors, title: "invalid feed request").ExecuteAsync(http);
            return;
        }

        var feed = grains.GetGrain<IEventFeedGrain>(0);
        var cursor = cursorText ?? await feed.Head();
        var page = await feed.Read(filter.Query(cursor, options.PageSize));
        if (page.Expired)
        {
            await Expired(cursor, page.Detail).ExecuteAsync(http);
            return;
        }

        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var logger = loggers.CreateLogger(typeof(EventFeedEndpoint).FullName!);
        var frame = new ArrayBufferWriter<byte>(16 * 1024);
        var sentCursor = cursor;
        var lastWrite = DateTimeOffset.UtcNow;
        try
        {
            // Tell the client where it starts, so a reconnect before the first event still resumes here.
            WriteText(frame, $"retry: {(int)options.ClientRetry.TotalMilliseconds}\nid: {cursor}\n\n");
            while (!aborted.IsCancellationRequested)
            {
                foreach (var e in page.Events)
                {
                    WriteEvent(frame, e);
                }

                if (page.Events.Count > 0)
                {
                    sentCursor = page.Events[^1].Cursor;
                }

                cursor = page.Next;
                var now = DateTimeOffset.UtcNow;
                if (now - lastWrite >= options.HeartbeatInterval)
                {
                    // A comment keeps proxies from closing an idle stream; the id moves the client past skipped (non-matching) events.
                    WriteText(frame, sentCursor == cursor ? ": keep-alive\n\n" : $": keep-alive\nid: {cursor}\n\n");
                    sentCursor = cursor;
                }

                if (frame.WrittenCount > 0)
                {
                    await response.Body.WriteAsync(frame.WrittenMemory, aborted);
                    await response.Body.FlushAsync(aborted);
                    frame.ResetWrittenCount();
                    lastWrite = now;
                }

                if (page.Events.Count < options.PageSize)
                {
                    await Task.Delay(options.PollInterval, aborted);
                }

                page = await feed.Read(filter.Query(cursor, options.PageSize));
                if (page.Expired)
                {
                    // Fell behind the retention window while streaming: say so and end; a reconnect gets the 410.
                    WriteText(frame, $"event: feed.expired\ndata: {JsonSerializer.Serialize(new { type = CursorExpiredType, title = CursorExpiredTitle, status = 410, detail = page.Detail })}\n\n");
                    await response.Body.WriteAsync(frame.WrittenMemory, aborted);
                    await response.Body.FlushAsync(aborted);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception ex)
        {
            // The response has started, so no problem JSON: end the stream; the client resumes from its last id.
            logger.LogWarning(ex, "The event feed stream ended on an error at cursor {Cursor}.", cursor);
        }
    }

    internal static IResult Expired(string cursor, string? detail) => Results.Problem(
        statusCode: StatusCodes.Status410Gone,
        type: CursorExpiredType,
        title: CursorExpiredTitle,
        detail: $"{detail} Re-list the state you follow, then watch again without a cursor (from now).",
        extensions: new Dictionary<string, object?> { ["cursor"] = cursor });

    private static void WriteEvent(ArrayBufferWriter<byte> frame, FeedEvent e)
    {
        WriteText(frame, $"id: {e.Cursor}\nevent: {e.Envelope.Type}\ndata: ");
        using (var json = new Utf8JsonWriter(frame))
        {
            WriteEnvelope(json, e);
        }

        WriteText(frame, "\n\n");
    }

    /// <summary>The envelope as SSE data: one line of snake_case JSON, the payload as a JSON value.</summary>
    internal static void WriteEnvelope(Utf8JsonWriter json, FeedEvent e)
    {
        var envelope = e.Envelope;
        json.WriteStartObject();
        json.WriteString("cursor", e.Cursor);
        json.WriteString("namespace", e.Namespace);
        json.WriteString("event_id", envelope.EventId);
        json.WriteString("type", envelope.Type);
        json.WriteString("subject", envelope.Subject);
        json.WriteNumber("sequence", envelope.Sequence);
        json.WriteString("occurred_at", envelope.OccurredAt);
        if (envelope.Actor is null)
        {
            json.WriteNull("actor");
        }
        else
        {
            json.WriteString("actor", envelope.Actor);
        }

        json.WritePropertyName("payload");
        WritePayload(json, envelope.Payload);
        json.WriteEndObject();
    }

    private static void WritePayload(Utf8JsonWriter json, string payload)
    {
        try
        {
            if (payload.AsSpan().IndexOfAny('\n', '\r') < 0)
            {
                json.WriteRawValue(payload);
                return;
            }

            // An SSE data line must not break: re-write the payload compactly.
            using var document = JsonDocument.Parse(payload);
            document.WriteTo(json);
        }
        catch (JsonException)
        {
            // Not JSON after all: carry it as a string rather than drop the event.
            json.WriteStringValue(payload);
        }
    }

    private static void WriteText(ArrayBufferWriter<byte> frame, string text)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        Encoding.UTF8.GetBytes(text, frame.GetSpan(bytes));
        frame.Advance(bytes);
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

/// <summary>Pacing of the SSE feed.</summary>
public sealed class EventFeedOptions
{
    /// <summary>Events read per round trip to the log.</summary>
    public int PageSize { get; set; } = 500;

    /// <summary>How long a caught-up stream waits before it looks for new events.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often an idle stream sends a comment so proxies keep it open.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The reconnect delay suggested to EventSource clients (SSE <c>retry</c>).</summary>
    public TimeSpan ClientRetry { get; set; } = TimeSpan.FromSeconds(1);
}
