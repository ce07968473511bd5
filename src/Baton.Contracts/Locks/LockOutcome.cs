namespace Baton.Contracts.Locks;

[GenerateSerializer, Alias("baton.locks.outcome")]
public enum LockOutcome
{
    /// <summary>The lease was granted.</summary>
    Acquired = 0,

    /// <summary>The request waits in the queue at <see cref="AcquireOutcome.QueuePosition"/>.</summary>
    Queued = 1,

    /// <summary>The lock was not available and the request did not want to wait (MaxWait zero).</summary>
    Unavailable = 2,

    /// <summary>The request waited MaxWait without being granted and left the queue.</summary>
    TimedOut = 3,

    /// <summary>The request's wait was part of a deadlock cycle and was chosen as the victim.</summary>
    Deadlock = 4,
}
