namespace Baton.Contracts.Owners;

/// <summary>
/// The index of one owner (an agent or principal; the key is the owner id): the locks it holds and the
/// lock requests it has waiting. Fed from the <c>locks</c> event stream, so it is eventually consistent:
/// it trails the locks by the stream's delivery delay, and a lease that ended without an event reaching
/// the index yet is still listed. Each lock (<see cref="Locks.ILockGrain"/>) is the truth for itself.
/// </summary>
public interface IOwnerGrain : IGrainWithStringKey
{
    Task<OwnerLocks> GetLocks();
}
