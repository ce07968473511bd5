using Baton.Contracts.Intents;

namespace Baton.Grains.Intents;

/// <summary>
/// The phase machine of a write intent. Legal moves: PendingApproval → Approved | Rejected | ChangesRequested | Expired
/// | Cancelled; Approved → Sending | Cancelled; Sending → Retrying | Succeeded | Failed; Retrying → Sending;
/// ChangesRequested → PendingApproval. Every other move is refused naming the current phase.
/// </summary>
public static class IntentLifecycle
{
    private static readonly Dictionary<IntentPhase, IntentPhase[]> Moves = new()
    {
        [IntentPhase.PendingApproval] = [IntentPhase.Approved, IntentPhase.Rejected, IntentPhase.ChangesRequested, IntentPhase.Expired, IntentPhase.Cancelled],
        [IntentPhase.Approved] = [IntentPhase.Sending, IntentPhase.Cancelled],
        [IntentPhase.Sending] = [IntentPhase.Retrying, IntentPhase.Succeeded, IntentPhase.Failed],
        [IntentPhase.Retrying] = [IntentPhase.Sending],
        [IntentPhase.ChangesRequested] = [IntentPhase.PendingApproval],
    };

    /// <summary>The phases <paramref name="from"/> may move to; none for a terminal phase.</summary>
    public static IReadOnlyList<IntentPhase> Next(IntentPhase from) => Moves.TryGetValue(from, out var next) ? next : [];

    public static bool CanMove(IntentPhase from, IntentPhase to) => Next(from).Contains(to);

    /// <summary>Throws <see cref="IllegalTransitionException"/> naming <paramref name="from"/> unless the move is legal.</summary>
    public static void EnsureCanMove(string intentId, IntentPhase from, IntentPhase to, string action)
    {
        if (!CanMove(from, to))
        {
            throw new IllegalTransitionException(intentId, from, to, action);
        }
    }
}
