using Baton.Contracts.Intents;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Baton.Grains.Intents;

/// <summary>What one <see cref="IntentIndexGrain"/> shard persists: the summary of each intent it lists.</summary>
[GenerateSerializer, Alias("baton.intents.index_state")]
public sealed class IntentIndexState
{
    [Id(0)] public Dictionary<string, IntentSummary> Entries { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One shard of the intent index by phase and requester, kept by the intent grains (see <see cref="WriteIntentGrain"/>):
/// after every change an intent sends its summary (<see cref="IntentIndexEntry"/>) to its shard, and again after a
/// crash or a failed update, until the shard has stored it. A shard keeps the highest version of each entry, so
/// repeats and late arrivals change nothing and the index converges on the intents' own state.
/// </summary>
/// <remarks>
/// <para>Size: every intent that is not terminal stays listed; of the terminal ones each shard keeps the
/// <see cref="IntentIndexing.MaxTerminalPerShard"/> that finished last, so the state written on each change stays
/// bounded. An intent that dropped out is still readable by id.</para>
/// <para>Writes: updates that arrive while a write is in flight are stored together by the next write (a group
/// commit), and each <see cref="Put"/> answers only once a write that includes its entry has succeeded.</para>
/// </remarks>
// Reentrant for the group commit: a Put waiting for a write must not keep the next Put from joining the write after
// it. Safe because every change to the entries happens synchronously within one turn, and writes go one at a time.
[Reentrant]
public sealed class IntentIndexGrain(
    [PersistentState("intent-index", "baton")] IPersistentState<IntentIndexState> state,
    ILogger<IntentIndexGrain> logger) : Grain, IIntentIndexGrain
{
    private long _changes;
    private long _stored;
    private Task? _writing;

    public async Task Put(IntentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentException.ThrowIfNullOrEmpty(summary.IntentId);
        var shard = IntentIndexing.ShardOf(summary.IntentId);
        if (shard != this.GetPrimaryKeyLong())
        {
            throw new ArgumentException($"Intent '{summary.IntentId}' belongs to index shard {shard}, not {this.GetPrimaryKeyLong()}.", nameof(summary));
        }

        var entries = state.State.Entries;
        if (!entries.TryGetValue(summary.IntentId, out var existing) || existing.Version < summary.Version)
        {
            entries[summary.IntentId] = summary;
            Prune(entries);
            _changes++;
        }

        // Also when nothing changed: the entry may be in memory from a write that is still under way or failed.
        await StoredAsync(_changes);
    }

    public Task<IntentSummaryPage> Query(IntentQuery query)
    {
        IntentIndexing.Validate(query);
        var matches = state.State.Entries.Values
            .Where(s => (query.Phase is not { } phase || s.Phase == phase) && (query.RequestedBy is not { } by || s.RequestedBy == by))
            .ToList();
        return Task.FromResult(new IntentSummaryPage
        {
            Items = matches.InListOrder().Take(query.Page * query.Limit).ToList(),
            Page = 1,
            Limit = query.Page * query.Limit,
            Total = matches.Count,
        });
    }

    /// <summary>Drops the earliest finished terminal entries beyond <see cref="IntentIndexing.MaxTerminalPerShard"/>.</summary>
    internal static void Prune(Dictionary<string, IntentSummary> entries)
    {
        var terminal = entries.Values.Where(s => s.Phase.IsTerminal()).ToList();
        if (terminal.Count <= IntentIndexing.MaxTerminalPerShard)
        {
            return;
        }

        foreach (var old in terminal.OrderBy(s => s.UpdatedAt).ThenBy(s => s.IntentId, StringComparer.Ordinal).Take(terminal.Count - IntentIndexing.MaxTerminalPerShard))
        {
            entries.Remove(old.IntentId);
        }
    }

    private async Task StoredAsync(long target)
    {
        while (_stored < target)
        {
            if (_writing is null || _writing.IsCompleted)
            {
                _writing = WriteAsync();
            }

            await _writing;
        }
    }

    private async Task WriteAsync()
    {
        var covering = _changes;
        try
        {
            await state.WriteStateAsync();
            _stored = Math.Max(_stored, covering);
        }
        catch (Exception ex)
        {
            // Memory may now differ from storage (e.g. another activation wrote first): start again from what is stored.
            // The intent grains that were not answered send their entries again.
            logger.LogWarning(ex, "Intent index shard {Shard}: a write failed; deactivating to re-read.", this.GetPrimaryKeyLong());
            this.DeactivateOnIdle();
            throw;
        }
    }
}
