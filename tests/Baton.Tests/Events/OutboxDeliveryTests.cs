using Baton.Tests.Grains;

namespace Baton.Tests.Events;

/// <summary>Without faults, every event a grain appends reaches the subject's consumer once, in order.</summary>
[Collection(EventsClusterCollection.Name)]
public sealed class OutboxDeliveryTests(EventsCluster cluster)
{
    [Fact]
    public async Task Every_event_arrives_once_in_per_subject_order()
    {
        var subjects = Enumerable.Range(0, 4).Select(i => $"delivery-{i}-{Guid.NewGuid():N}").ToList();

        // Subjects change concurrently; each subject's changes are sequential, some with several events per write.
        var lastSequences = await Task.WhenAll(subjects.Select(async subject =>
        {
            var probe = cluster.Grains.GetGrain<IOutboxProbeGrain>(subject);
            var last = 0L;
            for (var change = 0; change < 15; change++)
            {
                last = await probe.Change(events: 1 + change % 3);
            }

            return last;
        }));

        Assert.All(lastSequences, last => Assert.Equal(30, last));
        foreach (var subject in subjects)
        {
            var recorded = await Poll.Until(
                () => cluster.Grains.GetGrain<IEventRecorderGrain>(subject).Recorded(),
                r => r.AcceptedSequences.Count >= 30);

            Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), recorded.AcceptedSequences);
            Assert.Equal(0, recorded.OutOfOrder);
            Assert.Equal(0, recorded.Duplicates);
            Assert.Equal(30, recorded.ReceivedIds.Distinct().Count());

            var status = await cluster.Grains.GetGrain<IOutboxProbeGrain>(subject).Status();
            Assert.Equal(new OutboxProbeStatus(Changes: 15, Pending: 0, LastSequence: 30, HasRetryReminder: false), status);
        }
    }

    [Fact]
    public async Task Published_events_are_not_published_again_by_the_next_activation()
    {
        var subject = $"removal-{Guid.NewGuid():N}";
        var probe = cluster.Grains.GetGrain<IOutboxProbeGrain>(subject);
        await probe.Change();
        await probe.Change();
        Assert.Equal(2, OutboxFaultPlan.Shared.Publishes(subject));

        // The removal of the second event is persisted lazily, when the activation is deactivated.
        await probe.Deactivate();
        var status = await probe.Status();
        await probe.Change();

        Assert.Equal(new OutboxProbeStatus(Changes: 2, Pending: 0, LastSequence: 2, HasRetryReminder: false), status);
        var recorded = await Poll.Until(
            () => cluster.Grains.GetGrain<IEventRecorderGrain>(subject).Recorded(),
            r => r.AcceptedSequences.Count >= 3);
        Assert.Equal([1L, 2L, 3L], recorded.AcceptedSequences);
        Assert.Equal(3, OutboxFaultPlan.Shared.Publishes(subject));
        Assert.Equal(0, recorded.Duplicates);
    }
}
