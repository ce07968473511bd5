namespace Baton.Contracts.Locks;

/// <summary>The caller asked to heartbeat or release a lease it does not hold; nothing was changed.</summary>
[GenerateSerializer, Alias("baton.locks.not_holder")]
public sealed class NotLockHolderException : Exception
{
    public NotLockHolderException()
    {
    }

    public NotLockHolderException(string message) : base(message)
    {
    }

    public NotLockHolderException(string message, Exception inner) : base(message, inner)
    {
    }

    public NotLockHolderException(string leaseId, string caller)
        : base($"'{caller}' is not the holder of lease '{leaseId}'")
    {
        LeaseId = leaseId;
        Caller = caller;
    }

    [Id(0)] public string LeaseId { get; private set; } = "";

    [Id(1)] public string Caller { get; private set; } = "";
}
