namespace Baton.Contracts.Intents;

/// <summary>The intent cannot do that from its current phase; nothing was changed. <see cref="Current"/> names the phase.</summary>
[GenerateSerializer, Alias("baton.intents.illegal_transition")]
public sealed class IllegalTransitionException : Exception
{
    public IllegalTransitionException()
    {
    }

    public IllegalTransitionException(string message) : base(message)
    {
    }

    public IllegalTransitionException(string message, Exception inner) : base(message, inner)
    {
    }

    public IllegalTransitionException(string intentId, IntentPhase current, IntentPhase? attempted, string action)
        : base(attempted is { } to
            ? $"Intent '{intentId}' is {current}: it cannot {action} ({current} → {to} is not allowed)."
            : $"Intent '{intentId}' is {current}: it cannot {action}.")
    {
        IntentId = intentId;
        Current = current;
        Attempted = attempted;
        Action = action;
    }

    [Id(0)] public string IntentId { get; private set; } = "";

    [Id(1)] public IntentPhase Current { get; private set; }

    /// <summary>The phase the action would have led to, when it names one.</summary>
    [Id(2)] public IntentPhase? Attempted { get; private set; }

    /// <summary>What was asked, e.g. <c>be approved</c>, <c>be cancelled</c>.</summary>
    [Id(3)] public string Action { get; private set; } = "";
}
