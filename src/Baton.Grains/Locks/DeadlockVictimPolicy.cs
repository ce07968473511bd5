namespace Baton.Grains.Locks;

/// <summary>Which wait of a deadlock cycle is ended to break it.</summary>
public enum DeadlockVictimPolicy
{
    /// <summary>The wait that started last (it has lost the least); ties go to the lower priority.</summary>
    YoungestWait = 0,

    /// <summary>The wait with the lowest priority; ties go to the youngest wait.</summary>
    LowestPriority = 1,
}
