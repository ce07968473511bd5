namespace Baton.Grains.Common;

/// <summary>
/// A grain state whose grain can act before its stored state is read. When activated, a storage that supports it
/// (Postgres mode) may skip the read and hand the grain a default state with the ETag <see cref="StateReads.Unread"/>.
/// The grain then either reads before it answers (<see cref="ReadRequested"/>, then <c>ReadStateAsync</c>), or
/// decides on the default state and writes it as a first write. A first write succeeds only when no row is stored
/// (and then the default state was the truth), and fails with a conflict otherwise; the grain must then read and
/// decide again, having answered nobody from the guess.
/// </summary>
/// <remarks>
/// A lock taken on a fresh resource key saves a read this way: nothing is stored for it, so the grant is written
/// straight away. A storage may still read at activation when it knows a row exists (e.g. it wrote one recently).
/// A storage without the feature reads as usual; the grain then never sees <see cref="StateReads.Unread"/>.
/// </remarks>
public interface IReadOnDemand
{
    /// <summary>Set by the grain on its state right before <c>ReadStateAsync</c> to have it read; never stored.</summary>
    bool ReadRequested { get; set; }
}

public static class StateReads
{
    /// <summary>The ETag of a state whose read was skipped: what is stored is unknown.</summary>
    public const string Unread = "unread";
}
