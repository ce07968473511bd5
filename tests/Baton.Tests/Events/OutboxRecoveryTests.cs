using Baton.Tests.Grains;

namespace Baton.Tests.Events;

/// <summary>
/// Faults between the state write and the publish delay events and may repeat them, but never
/// lose them: after recovery each event is accepted exactly once by a de-duplicating consumer.
/// </summary>
[Collection(EventsClusterCollection.Name)]
public sealed class OutboxRecoveryTests(EventsCluster cluster)
{
    private static string NewSubject(string name) => $"{name}-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_crash_between_write_and_publish_delays_the_event_to_the_next_activation()
    {
        var subject = NewSubject("crash-after-write");
        var probe = cluster.Grains.GetGrain<IOutboxProbeGrain>(subject);
        OutboxFaultPlan.Shared.CrashAfterWrite(subject);

        await Assert.ThrowsAsync<InjectedFaultException>(() => probe.Change());

        Assert.Equal(0, OutboxFaultPlan.Shared.Publishes(subject));
        Assert.Empty((await cluster.Grains.GetGrain<IEventRecorderGrain>(subject).Recorded()).ReceivedIds);

        // The crashed activation is gone; the next call activates the grain, which publishes what it finds.
        var status = await probe.Status();

        Assert.Equal(new OutboxProbeStatus(Changes: 1, Pending: 0, LastSequence: 1, HasRetryReminder: false), status);
        Assert.Equal(1, OutboxFaultPlan.Shared.Publishes(subject));
        var recorded = await Poll.Until(
            () => cluster.Grains.GetGrain<IEventRecorderGrain>(subject).Recorded(),
            r => r.AcceptedSequences.Count >= 1);
        Assert.Equal([1L], recorded.AcceptedSequences);
        Assert.Single(recorded.ReceivedIds);
    }

    [Fact]
    public async Task A_crash_after_publish_repeats_the_event_with_the_same_id_and_the_consumer_drops_it()
    {
        var subject = NewSubject("crash-after-publish");
        var probe = cluster.Grains.GetGrain<IOutboxProbeGrain>(subject);
        OutboxFaultPlan.Shared.CrashAfterPublish(subject);

        await Assert.ThrowsAsync<InjectedFaultException>(() => probe.Change());
        var status = await probe.Status();

        Assert.Equal(new OutboxProbeStatus(Changes: 1, Pending: 0, LastSequence: 1, HasRetryReminder: false), status);
        Assert.Equal(2, OutboxFaultPlan.Shared.Publishes(subject));
        var recorded = await Poll.Until(
            () => cluster.Grains.GetGrain<IEventRecorderGrain>(subject).Recorded(),
            r => r.ReceivedIds.Count >= 2);
        Assert.Equal(2, recorded.ReceivedIds.Count);
        Assert.Single(recorded.ReceivedIds.Distinct());
        Assert.Equal([1L], recorded.AcceptedSequences);
        Assert.Equal(1, recorded.Duplicates);
        Assert.Equal(0, recorded.OutOfOrder);
    }

    [Fact]
    public async Task A_failed_publish_is_retried_by_reminder_which_is_then_unregistered()
    {
        var subject = NewSubject("publish-fails");
        var probe = cluster.Grains.GetGrain<IOutboxProbeGrain>(subject);
        OutboxFaultPlan.Shared.FailPublishes(subject, times: 2);   // the command's attempt and the first retry

        var sequence = await probe.Change();   // the change is written, so the command succeeds

        Assert.Equal(1, sequence);
        Assert.Equal(new OutboxProbeStatus(Changes: 1, Pending: 1, LastSequence: 1, HasRetryReminder: true), await probe.Status());
        Assert.Equal(0, OutboxFaultPlan.Shared.Publishes(subject));

        var status = await Poll.Until(probe.Status, s => s is { Pending: 0, HasRetryReminder: false }, TimeSpan.FromSeconds(30));

        Assert.Equal(new OutboxProbeStatus(Changes: 1, Pending: 0, LastSequence: 1, HasRetryReminder: false), status);
        var recorded = await Poll.Until(
            () => cluster.Grains.GetGrain<IEventRecorderGrain>(subject).Recorded(),
            r => r.AcceptedSequences.Count >= 1);
        Assert.Equal([1L], recorded.AcceptedSequences);
        Assert.Single(recorded.ReceivedIds);
        Assert.Equal(1, OutboxFaultPlan.Shared.Publishes(subject));
    }

    [Fact]
    public async Task Events_left_by_a_failed_publish_go_out_before_the_next_change_in_order()
    {
        var subject = NewSubject("publish-fails-then-change");
        var probe = cluster.Grains.GetGrain<IOutboxProbeGrain>(subject);
        OutboxFaultPlan.Shared.FailPublishes(subject, times: 1);

        Assert.Equal(2, await probe.Change(events: 2));   // both events stay in the outbox
        Assert.Equal(3, await probe.Change());            // publishes 1, 2, then 3

        Assert.Equal(new OutboxProbeStatus(Changes: 2, Pending: 0, LastSequence: 3, HasRetryReminder: false), await probe.Status());
        var recorded = await Poll.Until(
            () => cluster.Grains.GetGrain<IEventRecorderGrain>(subject).Recorded(),
            r => r.AcceptedSequences.Count >= 3);
        Assert.Equal([1L, 2L, 3L], recorded.AcceptedSequences);
        Assert.Equal(0, recorded.OutOfOrder);
        Assert.Equal(0, recorded.Duplicates);
    }
}
