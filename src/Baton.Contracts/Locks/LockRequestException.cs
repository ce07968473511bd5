namespace Baton.Contracts.Locks;

/// <summary>
/// A lock request broke a rule; nothing was changed. <see cref="Field"/> names the offending input
/// (the .NET member name, e.g. <c>Ttl</c>) and <see cref="Rule"/> says what it must be.
/// </summary>
[GenerateSerializer, Alias("baton.locks.request_error")]
public sealed class LockRequestException : Exception
{
    public LockRequestException()
    {
    }

    public LockRequestException(string message) : base(message)
    {
    }

    public LockRequestException(string message, Exception inner) : base(message, inner)
    {
    }

    public LockRequestException(string field, string rule) : base($"{field}: {rule}")
    {
        Field = field;
        Rule = rule;
    }

    [Id(0)] public string Field { get; private set; } = "";

    [Id(1)] public string Rule { get; private set; } = "";
}
