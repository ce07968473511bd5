using Baton.Contracts.Locks;

namespace Baton.Client.Locks;

/// <summary><see cref="BatonLocks.AcquireAsync"/> did not get the lock: <see cref="Outcome"/> says why (unavailable, timed out, deadlock victim).</summary>
public sealed class LockNotAcquiredException : Exception
{
    public LockNotAcquiredException()
    {
    }

    public LockNotAcquiredException(string message) : base(message)
    {
    }

    public LockNotAcquiredException(string message, Exception inner) : base(message, inner)
    {
    }

    public LockNotAcquiredException(string key, AcquireOutcome outcome)
        : base($"lock {key} was not acquired ({outcome.Outcome}){(outcome.Detail is null ? "" : ": " + outcome.Detail)}")
    {
        Key = key;
        Outcome = outcome;
    }

    public string Key { get; } = "";

    public AcquireOutcome Outcome { get; } = new();
}
