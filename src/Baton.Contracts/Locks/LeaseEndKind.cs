namespace Baton.Contracts.Locks;

[GenerateSerializer, Alias("baton.locks.lease_end_kind")]
public enum LeaseEndKind
{
    Released = 0,
    Expired = 1,
    ForceReleased = 2,
}
