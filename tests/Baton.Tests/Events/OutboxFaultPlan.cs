using System.Collections.Concurrent;
using Baton.Contracts;
using Baton.Grains.Events;
using Orleans.Runtime;

namespace Baton.Tests.Events;

/// <summary>
/// The faults a test arms for one subject (the probe grain's key), and a count of publish
/// attempts per subject. One instance is shared by every silo of the test cluster.
/// </summary>
public sealed class OutboxFaultPlan : IOutboxFaults
{
    public static OutboxFaultPlan Shared { get; } = new();

    private readonly ConcurrentDictionary<string, int> _crashesAfterWrite = new();
    private readonly ConcurrentDictionary<string, int> _failedPublishes = new();
    private readonly ConcurrentDictionary<string, int> _crashesAfterPublish = new();
    private readonly ConcurrentDictionary<string, int> _publishes = new();

    public void CrashAfterWrite(string subject, int times = 1) => _crashesAfterWrite[subject] = times;

    public void FailPublishes(string subject, int times) => _failedPublishes[subject] = times;

    public void CrashAfterPublish(string subject, int times = 1) => _crashesAfterPublish[subject] = times;

    /// <summary>Events handed to the stream for <paramref name="subject"/> (failed attempts not counted).</summary>
    public int Publishes(string subject) => _publishes.GetValueOrDefault(subject);

    public ValueTask AfterStateWrite(GrainId grain, IReadOnlyList<EventEnvelope> pending)
    {
        Trip(_crashesAfterWrite, grain, "crash after the state write");
        return ValueTask.CompletedTask;
    }

    public ValueTask BeforePublish(GrainId grain, EventEnvelope envelope)
    {
        Trip(_failedPublishes, grain, $"stream refused event {envelope.Sequence}");
        _publishes.AddOrUpdate(envelope.Subject, 1, (_, n) => n + 1);
        return ValueTask.CompletedTask;
    }

    public ValueTask AfterPublish(GrainId grain, IReadOnlyList<EventEnvelope> published)
    {
        Trip(_crashesAfterPublish, grain, "crash after the publish");
        return ValueTask.CompletedTask;
    }

    private static void Trip(ConcurrentDictionary<string, int> armed, GrainId grain, string what)
    {
        var subject = grain.Key.ToString()!;
        while (armed.TryGetValue(subject, out var left) && left > 0)
        {
            if (armed.TryUpdate(subject, left - 1, left))
            {
                throw new InjectedFaultException($"Injected fault for {subject}: {what}.");
            }
        }
    }
}

[GenerateSerializer, Alias("baton.tests.injected_fault")]
public sealed class InjectedFaultException : Exception
{
    public InjectedFaultException()
    {
    }

    public InjectedFaultException(string message) : base(message)
    {
    }

    public InjectedFaultException(string message, Exception inner) : base(message, inner)
    {
    }
}
