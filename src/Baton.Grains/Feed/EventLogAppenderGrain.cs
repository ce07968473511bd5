using Baton.Contracts;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Baton.Grains.Feed;

/// <summary>Writes the events of one subject's streams to the event log. Activated by the streams themselves.</summary>
public interface IEventLogAppenderGrain : IGrainWithStringKey
{
}

/// <summary>
/// Subscribed implicitly to every Baton stream namespace, so one activation per subject receives
/// every event published about it and appends it to the <see cref="IEventLog"/>. Delivery is
/// at-least-once; the log skips an event id it already holds. The grain is not reentrant and
/// acknowledges an event only after the log has it, so a subject's events reach the log in
/// stream order, and a failed append fails the delivery (the stream provider redelivers).
/// </summary>
[ImplicitStreamSubscription(EventNamespaces.Locks)]
[ImplicitStreamSubscription(EventNamespaces.Intents)]
[ImplicitStreamSubscription(EventNamespaces.Entities)]
[ImplicitStreamSubscription(EventNamespaces.Deliveries)]
[ImplicitStreamSubscription(EventNamespaces.Sync)]
[ImplicitStreamSubscription(EventNamespaces.Runs)]
public sealed class EventLogAppenderGrain(IEventLog log) : Grain, IEventLogAppenderGrain, IStreamSubscriptionObserver
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        if (handleFactory.ProviderName != BatonStreams.Provider)
        {
            return;
        }

        var ns = handleFactory.StreamId.GetNamespace() ?? "";
        await handleFactory.Create<EventEnvelope>().ResumeAsync((envelope, _) => log.AppendAsync([new LogAppend(ns, envelope)]));
    }
}
