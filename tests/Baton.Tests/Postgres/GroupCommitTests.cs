using Baton.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Tests.Postgres;

/// <summary>The group-commit loop shared by the grain storage, the event log and the entity history store.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Concurrent_writes_share_groups_and_each_caller_gets_its_own_result()
    {
        var groups = new List<int>();
        var gate = new TaskCompletionSource();
        await using var commit = new GroupCommit<int, int>("numbers", 100, async (items, _) =>
        {
            await gate.Task;
            lock (groups)
            {
                groups.Add(items.Count);
            }

            return [.. items.Select(i => i * 10)];
        }, NullLogger.Instance);

        var writes = Enumerable.Range(1, 50).Select(i => commit.WriteAsync(i)).ToList();
        gate.SetResult();

        Assert.Equal(Enumerable.Range(1, 50).Select(i => i * 10), await Task.WhenAll(writes));
        Assert.True(groups.Count < 50, $"{groups.Count} groups for 50 concurrent writes");
        Assert.Equal(50, groups.Sum());
    }

    [Fact]
    public async Task A_group_that_fails_is_written_again_one_by_one_so_only_the_bad_item_fails()
    {
        var gate = new TaskCompletionSource();
        await using var commit = new GroupCommit<string, string>("words", 100, async (items, _) =>
        {
            await gate.Task;
            return items.Contains("bad") ? throw new InvalidOperationException("cannot write 'bad'") : [.. items.Select(i => i.ToUpperInvariant())];
        }, NullLogger.Instance);

        var good = commit.WriteAsync("good");
        var bad = commit.WriteAsync("bad");
        var fine = commit.WriteAsync("fine");
        gate.SetResult();

        Assert.Equal("GOOD", await good);
        Assert.Equal("FINE", await fine);
        Assert.Equal("cannot write 'bad'", (await Assert.ThrowsAsync<InvalidOperationException>(() => bad)).Message);
    }

    [Fact]
    public async Task After_disposal_writes_are_refused()
    {
        var commit = new GroupCommit<int, int>("numbers", 10, (items, _) => Task.FromResult<IReadOnlyList<int>>([.. items]), NullLogger.Instance);
        Assert.Equal(7, await commit.WriteAsync(7));

        await commit.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => { _ = commit.WriteAsync(8); });
    }
}
