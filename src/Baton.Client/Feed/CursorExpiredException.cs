namespace Baton.Client.Feed;

/// <summary>
/// The feed can no longer continue from <see cref="Cursor"/> without a gap: events after it were
/// evicted (it is older than the retention window) or it comes from another log. Re-list the
/// state you follow, then watch again from now (no cursor).
/// </summary>
public sealed class CursorExpiredException(string cursor, string? detail)
    : Exception($"cursor expired, re-list: {detail ?? $"the feed cannot continue after cursor {cursor}."}")
{
    public string Cursor { get; } = cursor;
}
