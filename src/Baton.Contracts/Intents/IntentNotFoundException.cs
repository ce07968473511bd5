namespace Baton.Contracts.Intents;

/// <summary>No intent was proposed under this id.</summary>
[GenerateSerializer, Alias("baton.intents.not_found")]
public sealed class IntentNotFoundException : Exception
{
    public IntentNotFoundException()
    {
    }

    public IntentNotFoundException(string message) : base(message)
    {
    }

    public IntentNotFoundException(string message, Exception inner) : base(message, inner)
    {
    }

    public static IntentNotFoundException For(string intentId) => new($"No intent '{intentId}' was proposed.") { IntentId = intentId };

    [Id(0)] public string IntentId { get; private set; } = "";
}

/// <summary>Only the requester may revise or cancel an intent; nothing was changed.</summary>
[GenerateSerializer, Alias("baton.intents.forbidden")]
public sealed class IntentForbiddenException : Exception
{
    public IntentForbiddenException()
    {
    }

    public IntentForbiddenException(string message) : base(message)
    {
    }

    public IntentForbiddenException(string message, Exception inner) : base(message, inner)
    {
    }

    public IntentForbiddenException(string intentId, string actor, string action)
        : base($"'{actor}' may not {action} intent '{intentId}': only its requester may.")
    {
        IntentId = intentId;
        Actor = actor;
    }

    [Id(0)] public string IntentId { get; private set; } = "";

    [Id(1)] public string Actor { get; private set; } = "";
}
