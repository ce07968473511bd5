namespace Baton.Contracts.Intents;

/// <summary>
/// Where a write intent is: <c>PendingApproval → Approved → Sending → (Retrying ↔ Sending) → Succeeded | Failed</c>;
/// <c>PendingApproval → Rejected | ChangesRequested | Expired | Cancelled</c>; <c>ChangesRequested → PendingApproval</c>
/// on revision; <c>Approved → Cancelled</c>.
/// </summary>
[GenerateSerializer, Alias("baton.intents.phase")]
public enum IntentPhase
{
    PendingApproval = 0,
    Approved = 1,
    Sending = 2,
    Retrying = 3,
    Succeeded = 4,
    Failed = 5,
    Rejected = 6,
    ChangesRequested = 7,
    Expired = 8,
    Cancelled = 9,
}

public static class IntentPhases
{
    /// <summary>True for the phases nothing leaves: Succeeded, Failed, Rejected, Expired, Cancelled.</summary>
    public static bool IsTerminal(this IntentPhase phase) =>
        phase is IntentPhase.Succeeded or IntentPhase.Failed or IntentPhase.Rejected or IntentPhase.Expired or IntentPhase.Cancelled;

    /// <summary>The snake_case name used in events and over HTTP, e.g. <c>pending_approval</c>.</summary>
    public static string Wire(this IntentPhase phase) => phase switch
    {
        IntentPhase.PendingApproval => "pending_approval",
        IntentPhase.ChangesRequested => "changes_requested",
        _ => phase.ToString().ToLowerInvariant(),
    };

    /// <summary>Reads a snake_case phase name (<see cref="Wire"/>), e.g. <c>pending_approval</c>; case-sensitive.</summary>
    public static bool TryParseWire(string? text, out IntentPhase phase)
    {
        foreach (var candidate in Enum.GetValues<IntentPhase>())
        {
            if (candidate.Wire() == text)
            {
                phase = candidate;
                return true;
            }
        }

        phase = default;
        return false;
    }

    /// <summary>Every phase's snake_case name, in enum order, for error messages and help.</summary>
    public static IReadOnlyList<string> WireNames { get; } = Enum.GetValues<IntentPhase>().Select(p => p.Wire()).ToList();
}
