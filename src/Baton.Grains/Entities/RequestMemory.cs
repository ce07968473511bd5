using System.Collections;

namespace Baton.Grains.Entities;

/// <summary>
/// The answered requests an entity activation remembers, by request id, oldest first: the newest
/// <see cref="EntityOptions.RememberedRequests"/> given within <see cref="EntityOptions.RememberRequestsFor"/>. The
/// grain loads it from the <see cref="IEntityHistoryStore"/> on its first write and adds each answer once that answer
/// is durable; the store keeps the same answers for the next activation.
/// </summary>
public sealed class RequestMemory : IEnumerable<RememberedMutation>
{
    private readonly List<RememberedMutation> _answers = [];
    private readonly Dictionary<string, RememberedMutation> _byRequestId = new(StringComparer.Ordinal);

    public RequestMemory()
    {
    }

    /// <summary>A memory holding <paramref name="answers"/> (in any order; for a request id answered twice the newest counts).</summary>
    public RequestMemory(IEnumerable<RememberedMutation> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        foreach (var answer in answers.OrderBy(a => a.At))
        {
            Add(answer);
        }
    }

    public int Count => _answers.Count;

    /// <summary>The answer given to <paramref name="requestId"/>, or null when it is not remembered.</summary>
    public RememberedMutation? Find(string requestId) => _byRequestId.GetValueOrDefault(requestId);

    /// <summary>Adds <paramref name="answer"/> and forgets what is older than the options allow.</summary>
    public void Remember(RememberedMutation answer, EntityOptions options)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(options);
        Add(answer);
        var cutoff = answer.At - options.RememberRequestsFor;
        var excess = _answers.Count - Math.Max(1, options.RememberedRequests);
        var forget = 0;
        while (forget < _answers.Count - 1 && (forget < excess || _answers[forget].At < cutoff))
        {
            forget++;
        }

        foreach (var forgotten in _answers.Take(forget))
        {
            if (_byRequestId.TryGetValue(forgotten.RequestId, out var current) && ReferenceEquals(current, forgotten))
            {
                _byRequestId.Remove(forgotten.RequestId);
            }
        }

        _answers.RemoveRange(0, forget);
    }

    public IEnumerator<RememberedMutation> GetEnumerator() => _answers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Add(RememberedMutation answer)
    {
        _answers.Add(answer);
        _byRequestId[answer.RequestId] = answer;
    }
}
