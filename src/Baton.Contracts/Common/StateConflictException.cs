namespace Baton.Contracts;

/// <summary>
/// A grain's state write lost an ETag race: another activation wrote first. The activation that
/// lost is deactivated, so the next call re-reads the winner's state; callers may retry.
/// </summary>
[GenerateSerializer, Alias("baton.state_conflict")]
public sealed class StateConflictException : Exception
{
    public StateConflictException()
    {
    }

    public StateConflictException(string message) : base(message)
    {
    }

    public StateConflictException(string message, Exception inner) : base(message, inner)
    {
    }
}
