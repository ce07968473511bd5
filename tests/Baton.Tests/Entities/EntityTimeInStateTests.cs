using Baton.Contracts.Entities;
using static Baton.Tests.Entities.EntityGrainTests;

namespace Baton.Tests.Entities;

/// <summary>InStateSince, InStateFor and TransitionCount of the entity grain, on the silo's fake entity clock.</summary>
[Collection(EntityClusterCollection.Name)]
public sealed class EntityTimeInStateTests(EntityCluster cluster)
{
    private static Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => EntityCluster.Clock;

    [Fact]
    public async Task A_field_is_in_its_state_since_its_last_change_however_other_fields_change()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);
        var entity = cluster.Grains.GetGrain<IEntityGrain>($"{kind}/deploy-1");
        var start = Clock.GetUtcNow();

        await entity.Mutate(Patch("""{"status":"queued","progress":0}"""));
        Clock.Advance(TimeSpan.FromMinutes(10));
        var running = await entity.Mutate(Patch("""{"status":"running"}"""));
        Clock.Advance(TimeSpan.FromMinutes(3));
        await entity.Mutate(Patch("""{"progress":50}"""));
        Clock.Advance(TimeSpan.FromMinutes(2));

        var since = await entity.InStateSince("status");
        Assert.Equal(start + TimeSpan.FromMinutes(10), since!.Since);
        Assert.Equal("\"running\"", since.Value);
        Assert.Equal(running.Version, since.Version);
        Assert.Equal(TimeSpan.FromMinutes(5), await entity.InStateFor("status"));
        Assert.Equal(TimeSpan.FromMinutes(2), await entity.InStateFor("progress"));
        Assert.Null(await entity.InStateSince("never-set"));
    }

    [Fact]
    public async Task Transition_count_counts_the_changes_of_a_field_within_the_window()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);
        var entity = cluster.Grains.GetGrain<IEntityGrain>($"{kind}/flappy");

        foreach (var status in new[] { "up", "down", "up", "down" })
        {
            await entity.Mutate(Patch($$"""{"status":"{{status}}"}"""));
            Clock.Advance(TimeSpan.FromMinutes(5));
        }

        // Changes at -20, -15, -10 and -5 minutes from now.
        Assert.Equal(1, await entity.TransitionCount("status", TimeSpan.FromMinutes(6)));
        Assert.Equal(3, await entity.TransitionCount("status", TimeSpan.FromMinutes(15)));
        Assert.Equal(4, await entity.TransitionCount("status", TimeSpan.FromHours(1)));
        Assert.Equal(0, await entity.TransitionCount("other", TimeSpan.FromHours(1)));

        Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await entity.TransitionCount("status", TimeSpan.FromMinutes(30)));
    }

    [Fact]
    public async Task A_removed_entity_is_in_no_state()
    {
        var kind = NewKind();
        await cluster.DefineAsync(kind);
        var entity = cluster.Grains.GetGrain<IEntityGrain>($"{kind}/removed");
        await entity.Mutate(Patch("""{"status":"up"}"""));

        await entity.Remove("agent-1", null);

        Assert.Null(await entity.InStateSince("status"));
        Assert.Null(await entity.InStateFor("status"));
    }
}
