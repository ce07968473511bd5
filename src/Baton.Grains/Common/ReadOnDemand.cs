namespace Baton.Grains.Common;

/// <summary>
/// A grain state whose grain can act before its stored state is read. When activated, a storage that supports it
/// (Postgres mode) may skip the read and hand the grain a guess with an ETag for which
/// <see cref="StateReads.IsUnread"/> holds: the default state (ETag <see cref="StateReads.Unread"/>), or the state it
/// remembers storing or reading lately (ETag <see cref="StateReads.Remembered"/>). The grain then either reads before
/// it answers (<see cref="ReadRequested"/>, then <c>ReadStateAsync</c>), or decides on the guess and writes it. That
/// write succeeds only when the guess was what is stored (no row for a default state, the remembered version for a
/// remembered one), and fails with a conflict otherwise; the grain must then read and decide again, having answered
/// nobody from the guess.
/// </summary>
/// <remarks>
/// A lock taken on a fresh resource key saves a read this way: nothing is stored for it, so the grant is written
/// straight away; so does a lock taken again on the silo that last wrote it, after its idle activation was dropped.
/// A storage without the feature reads as usual; the grain then never sees an unread ETag.
/// </remarks>
public interface IReadOnDemand
{
    /// <summary>Set by the grain on its state right before <c>ReadStateAsync</c> to have it read; never stored.</summary>
    bool ReadRequested { get; set; }
}

public static class StateReads
{
    /// <summary>The ETag of a state whose read was skipped: what is stored is unknown, the state is the default one.</summary>
    public const string Unread = "unread";

    private const string RememberedPrefix = Unread + ":";

    /// <summary>
    /// The ETag of a state whose read was skipped in favour of what the storage remembers: the state as stored at
    /// <paramref name="version"/>, which may have been overwritten since.
    /// </summary>
    public static string Remembered(long version) => RememberedPrefix + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="etag"/> says the state was not read (<see cref="Unread"/> or <see cref="Remembered"/>).</summary>
    public static bool IsUnread(string? etag) =>
        etag is not null && (etag == Unread || etag.StartsWith(RememberedPrefix, StringComparison.Ordinal));

    /// <summary>The version a <see cref="Remembered"/> ETag names; null for any other ETag.</summary>
    public static long? RememberedVersion(string? etag) =>
        etag is not null && etag.StartsWith(RememberedPrefix, StringComparison.Ordinal)
        && long.TryParse(etag.AsSpan(RememberedPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version)
            ? version
            : null;
}
