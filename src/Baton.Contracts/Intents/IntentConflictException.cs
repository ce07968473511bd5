namespace Baton.Contracts.Intents;

/// <summary>
/// An idempotency key was reused for a different write (another interface, operation, resource or payload); nothing
/// was changed. Choose a new key, or propose exactly the same write to get the existing intent.
/// </summary>
[GenerateSerializer, Alias("baton.intents.conflict")]
public sealed class IntentConflictException : Exception
{
    public IntentConflictException()
    {
    }

    public IntentConflictException(string message) : base(message)
    {
    }

    public IntentConflictException(string message, Exception inner) : base(message, inner)
    {
    }

    public IntentConflictException(string intentId, string existingHash, string proposedHash)
        : base($"Idempotency key '{intentId}' already names a different write (content {existingHash}, proposed {proposedHash}).")
    {
        IntentId = intentId;
        ExistingHash = existingHash;
        ProposedHash = proposedHash;
    }

    [Id(0)] public string IntentId { get; private set; } = "";

    [Id(1)] public string ExistingHash { get; private set; } = "";

    [Id(2)] public string ProposedHash { get; private set; } = "";
}
