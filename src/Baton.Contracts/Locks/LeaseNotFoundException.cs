namespace Baton.Contracts.Locks;

/// <summary>
/// The lease is not held (any more): unknown, or it ended — <see cref="EndedAs"/> says how when the lock
/// still remembers it (expired, released, force-released).
/// </summary>
[GenerateSerializer, Alias("baton.locks.lease_not_found")]
public sealed class LeaseNotFoundException : Exception
{
    public LeaseNotFoundException()
    {
    }

    public LeaseNotFoundException(string message) : base(message)
    {
    }

    public LeaseNotFoundException(string message, Exception inner) : base(message, inner)
    {
    }

    public LeaseNotFoundException(string leaseId, LeaseEnd? ended) : base(Describe(leaseId, ended))
    {
        LeaseId = leaseId;
        EndedAs = ended?.Kind;
    }

    [Id(0)] public string LeaseId { get; private set; } = "";

    [Id(1)] public LeaseEndKind? EndedAs { get; private set; }

    private static string Describe(string leaseId, LeaseEnd? ended) => ended switch
    {
        null => $"lease '{leaseId}' is not held",
        { Kind: LeaseEndKind.Expired } => $"lease '{leaseId}' expired at {ended.At:O}",
        { Kind: LeaseEndKind.Released } => $"lease '{leaseId}' was released at {ended.At:O}",
        _ => $"lease '{leaseId}' was force-released by '{ended.By}' at {ended.At:O}: {ended.Reason}",
    };
}
