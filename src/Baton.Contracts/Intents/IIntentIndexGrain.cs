namespace Baton.Contracts.Intents;

/// <summary>
/// One shard of the intent index by phase and requester, keyed by shard number (see <see cref="IntentIndexing.ShardOf"/>)
/// and kept by the intent grains after each change. The intent grains hold the truth; an entry here is a summary that
/// may briefly lag. Read it through <see cref="IIntentQueryGrain"/>, which merges the shards.
/// </summary>
public interface IIntentIndexGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Adds or replaces the entry for <see cref="IntentSummary.IntentId"/> unless the shard already holds that version or
    /// a later one, so repeated and late updates change nothing. Answers once the entry is stored.
    /// </summary>
    Task Put(IntentSummary summary);

    /// <summary>The first <c>Page × Limit</c> matches of this shard in list order (newest proposal first), and how many match.</summary>
    Task<IntentSummaryPage> Query(IntentQuery query);
}

/// <summary>What the index knows of one intent: enough to list and filter it; the intent itself has the rest.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.summary")]
public sealed record IntentSummary
{
    [Id(0)] public string IntentId { get; init; } = "";

    [Id(1)] public IntentPhase Phase { get; init; }

    [Id(2)] public string RequestedBy { get; init; } = "";

    [Id(3)] public string InterfaceKey { get; init; } = "";

    [Id(4)] public string Operation { get; init; } = "";

    [Id(5)] public string ResourceRef { get; init; } = "";

    [Id(6)] public RiskLevel RiskLevel { get; init; }

    [Id(7)] public int RiskScore { get; init; }

    [Id(8)] public int Revision { get; init; }

    [Id(9)] public DateTimeOffset ProposedAt { get; init; }

    /// <summary>When the intent last changed phase (its proposal for one that never did).</summary>
    [Id(10)] public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Grows with every phase change of the intent; a shard keeps the highest version it was given.</summary>
    [Id(11)] public int Version { get; init; }
}

/// <summary>Filters (each optional, combined with and) and a page of the intent list; pages count from 1.</summary>
[GenerateSerializer, Immutable, Alias("baton.intents.query")]
public sealed record IntentQuery
{
    [Id(0)] public IntentPhase? Phase { get; init; }

    [Id(1)] public string? RequestedBy { get; init; }

    [Id(2)] public int Page { get; init; } = 1;

    [Id(3)] public int Limit { get; init; } = IntentIndexing.DefaultLimit;
}

[GenerateSerializer, Immutable, Alias("baton.intents.summary_page")]
public sealed record IntentSummaryPage
{
    [Id(0)] public IReadOnlyList<IntentSummary> Items { get; init; } = [];

    [Id(1)] public int Page { get; init; }

    [Id(2)] public int Limit { get; init; }

    /// <summary>How many intents match the filters.</summary>
    [Id(3)] public int Total { get; init; }
}

/// <summary>The fixed shape of the intent index.</summary>
public static class IntentIndexing
{
    /// <summary>The number of index shards. Never change it: an intent's shard is derived from its id alone.</summary>
    public const int Shards = 32;

    public const int DefaultLimit = 50;

    public const int MaxLimit = 200;

    /// <summary>The deepest a page may reach (<c>Page × Limit</c>): every shard sends that many entries to be merged.</summary>
    public const int MaxDepth = 10_000;

    /// <summary>
    /// The most terminal intents (succeeded, failed, rejected, expired, cancelled) one shard keeps listed; beyond it the
    /// earliest finished drop out of the list (the intents themselves remain readable by id, and their completion is in
    /// the event feed). 32 shards × 32: the last 1,024 finished intents are listed. A shard's whole state is rewritten
    /// on every change it indexes, so this bounds the size of that write (about 4.5 KB; at 256 it was ~36 KB and the
    /// largest PostgreSQL cost of an intent).
    /// </summary>
    public const int MaxTerminalPerShard = 32;

    /// <summary>The shard of an intent: FNV-1a over the UTF-8 bytes of its id, modulo <see cref="Shards"/>; stable across processes.</summary>
    public static int ShardOf(string intentId)
    {
        ArgumentNullException.ThrowIfNull(intentId);
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(intentId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return (int)(hash % Shards);
    }

    /// <summary>
    /// Throws <see cref="IntentValidationException"/> (field <c>page</c>, <c>limit</c> or <c>requested_by</c>) unless
    /// <paramref name="query"/> can be answered.
    /// </summary>
    public static void Validate(IntentQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ValidatePage(query.Page, query.Limit);
        if (query.Phase is { } phase && !Enum.IsDefined(phase))
        {
            throw new IntentValidationException("phase", $"unknown phase {(int)phase}");
        }

        if (query.RequestedBy is { } requester && (string.IsNullOrWhiteSpace(requester) || requester.Length > IntentLimits.MaxPrincipalLength))
        {
            throw new IntentValidationException("requested_by", $"must be 1–{IntentLimits.MaxPrincipalLength} characters, not blank");
        }
    }

    public static void ValidatePage(int page, int limit)
    {
        if (page < 1)
        {
            throw new IntentValidationException("page", $"must be at least 1 (got {page})");
        }

        if (limit is < 1 or > MaxLimit)
        {
            throw new IntentValidationException("limit", $"must be 1–{MaxLimit} (got {limit})");
        }

        if ((long)page * limit > MaxDepth)
        {
            throw new IntentValidationException("page", $"page × limit must be at most {MaxDepth} (got {(long)page * limit})");
        }
    }

    /// <summary>List order: newest proposal first, then by id.</summary>
    public static IOrderedEnumerable<IntentSummary> InListOrder(this IEnumerable<IntentSummary> summaries) =>
        summaries.OrderByDescending(s => s.ProposedAt).ThenBy(s => s.IntentId, StringComparer.Ordinal);
}
