using Baton.Contracts.Locks;

namespace Baton.Grains.Locks;

/// <summary>
/// Owners waiting for owners, across locks: an edge owner → blocker for every <see cref="LockWait"/>.
/// A cycle is a deadlock no lease expiry short of a TTL would end. <see cref="FindDeadlocks"/> reports each
/// cycle with exactly one victim and the same answer for the same waits in any input order.
/// </summary>
/// <remarks>
/// Method: find the strongly connected components (Tarjan); from the one holding the ordinally smallest
/// owner, take the shortest cycle through that owner (breadth-first, neighbours in ordinal order); pick the
/// victim; remove the victim's wait; repeat until no cycle is left. Overlapping cycles that one victim
/// already broke are therefore not reported twice. An owner waiting behind itself is a cycle of one.
/// </remarks>
public sealed class WaitForGraph
{
    private readonly List<LockWait> _waits;

    public WaitForGraph(IEnumerable<LockWait> waits)
    {
        ArgumentNullException.ThrowIfNull(waits);
        _waits = waits
            .Where(w => w.BlockedBy.Count > 0)
            .DistinctBy(w => (w.Key, w.RequestId))
            .OrderBy(w => w.Owner, StringComparer.Ordinal)
            .ThenBy(w => w.Key, StringComparer.Ordinal)
            .ThenBy(w => w.RequestId, StringComparer.Ordinal)
            .ToList();
    }

    public IReadOnlyList<DeadlockCycle> FindDeadlocks(DateTimeOffset now, DeadlockVictimPolicy policy = DeadlockVictimPolicy.YoungestWait)
    {
        var remaining = new List<LockWait>(_waits);
        var cycles = new List<DeadlockCycle>();
        while (FindCycle(remaining) is { } cycle)
        {
            var victim = ChooseVictim(cycle, policy);
            cycles.Add(new DeadlockCycle { Waits = cycle, Victim = victim, DetectedAt = now });
            remaining.Remove(victim);
        }

        return cycles;
    }

    public static LockWait ChooseVictim(IReadOnlyList<LockWait> cycle, DeadlockVictimPolicy policy)
    {
        var ordered = policy switch
        {
            DeadlockVictimPolicy.LowestPriority => cycle.OrderBy(w => w.Priority).ThenByDescending(w => w.WaitingSince),
            _ => cycle.OrderByDescending(w => w.WaitingSince).ThenBy(w => w.Priority),
        };
        return ordered
            .ThenBy(w => w.Owner, StringComparer.Ordinal)
            .ThenBy(w => w.Key, StringComparer.Ordinal)
            .ThenBy(w => w.RequestId, StringComparer.Ordinal)
            .First();
    }

    private static List<LockWait>? FindCycle(List<LockWait> waits)
    {
        var outgoing = waits.GroupBy(w => w.Owner, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var cyclic = StronglyConnected(outgoing)
            .Where(component => component.Count > 1 || outgoing[component[0]].Any(w => w.BlockedBy.Contains(component[0], StringComparer.Ordinal)))
            .Select(component => component.Order(StringComparer.Ordinal).ToList())
            .OrderBy(component => component[0], StringComparer.Ordinal)
            .FirstOrDefault();
        return cyclic is null ? null : ShortestCycleThrough(cyclic[0], cyclic.ToHashSet(StringComparer.Ordinal), outgoing);
    }

    /// <summary>Breadth-first from <paramref name="start"/> inside its component until an edge leads back to it.</summary>
    private static List<LockWait> ShortestCycleThrough(string start, HashSet<string> component, Dictionary<string, List<LockWait>> outgoing)
    {
        var cameBy = new Dictionary<string, LockWait>(StringComparer.Ordinal);
        var frontier = new Queue<string>([start]);
        while (frontier.Count > 0)
        {
            var owner = frontier.Dequeue();
            foreach (var wait in outgoing[owner])
            {
                foreach (var next in wait.BlockedBy.Order(StringComparer.Ordinal))
                {
                    if (next == start)
                    {
                        var cycle = new List<LockWait> { wait };
                        for (var at = owner; at != start; at = cameBy[at].Owner)
                        {
                            cycle.Add(cameBy[at]);
                        }

                        cycle.Reverse();
                        return cycle;
                    }

                    if (component.Contains(next) && !cameBy.ContainsKey(next))
                    {
                        cameBy[next] = wait;
                        frontier.Enqueue(next);
                    }
                }
            }
        }

        throw new InvalidOperationException($"No cycle through {start} although it is in a cyclic component.");
    }

    /// <summary>Tarjan's algorithm, iterative so that long wait chains cannot overflow the stack.</summary>
    private static List<List<string>> StronglyConnected(Dictionary<string, List<LockWait>> outgoing)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var components = new List<List<string>>();
        var next = 0;

        IEnumerable<string> Successors(string owner) =>
            outgoing.TryGetValue(owner, out var waits)
                ? waits.SelectMany(w => w.BlockedBy).Where(outgoing.ContainsKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                : [];

        foreach (var root in outgoing.Keys.Order(StringComparer.Ordinal))
        {
            if (index.ContainsKey(root))
            {
                continue;
            }

            var work = new Stack<(string Owner, IEnumerator<string> Successors)>();
            index[root] = low[root] = next++;
            stack.Push(root);
            onStack.Add(root);
            work.Push((root, Successors(root).GetEnumerator()));
            while (work.Count > 0)
            {
                var (owner, successors) = work.Peek();
                if (successors.MoveNext())
                {
                    var successor = successors.Current;
                    if (!index.ContainsKey(successor))
                    {
                        index[successor] = low[successor] = next++;
                        stack.Push(successor);
                        onStack.Add(successor);
                        work.Push((successor, Successors(successor).GetEnumerator()));
                    }
                    else if (onStack.Contains(successor))
                    {
                        low[owner] = Math.Min(low[owner], index[successor]);
                    }

                    continue;
                }

                work.Pop();
                if (work.Count > 0)
                {
                    var parent = work.Peek().Owner;
                    low[parent] = Math.Min(low[parent], low[owner]);
                }

                if (low[owner] == index[owner])
                {
                    var component = new List<string>();
                    string member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        component.Add(member);
                    }
                    while (member != owner);
                    components.Add(component);
                }
            }
        }

        return components;
    }
}
