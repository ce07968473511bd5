using System.Collections.Concurrent;
using Baton.Grains.Feed;
using Baton.Postgres.Feed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Orleans' entry point to Baton's PostgreSQL stream queues: the adapter that appends to the event log, a
/// receiver and a failure handler per queue, Orleans' simple queue cache, and a hash-ring mapper that spreads
/// streams over <see cref="PostgresStreamOptions.Queues"/> queues.
/// </summary>
public sealed class PostgresQueueAdapterFactory : IQueueAdapterFactory, IDisposable, IAsyncDisposable
{
    private readonly string _name;
    private readonly PostgresStreamOptions _options;
    private readonly IServiceProvider _services;
    private readonly NpgsqlDataSource _bookkeepingDataSource;
    private readonly PostgresStreamCursor _cursor;
    private readonly IEventLog _log;
    private readonly PostgresEventLog? _ownLog;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly SimpleQueueAdapterCache _cache;
    private readonly ConcurrentDictionary<QueueId, PostgresQueueAdapterReceiver> _receivers = new();
    private readonly string _ownerPrefix;

    public PostgresQueueAdapterFactory(string name, PostgresStreamOptions options, IServiceProvider services)
    {
        options.Validate();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException($"Stream provider '{name}' needs a PostgreSQL connection string.");
        }

        _name = name;
        _options = options;
        _services = services;
        var serviceId = services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;

        // Readers' bookkeeping (leases, cursors, dead letters) need not wait for the WAL flush: see
        // PostgresStreamCursor. No session state is ever set on these connections, so a pooled connection need not be
        // reset when it is reused, and the same few statements run all the time: prepare them once per connection.
        var bookkeeping = new NpgsqlConnectionStringBuilder(options.ConnectionString) { MaxAutoPrepare = 16, NoResetOnClose = true };
        bookkeeping.Options = string.Join(' ', new[] { bookkeeping.Options, "-c synchronous_commit=off" }.Where(o => !string.IsNullOrWhiteSpace(o)));
        _bookkeepingDataSource = NpgsqlDataSource.Create(bookkeeping);
        _cursor = new PostgresStreamCursor(_bookkeepingDataSource, serviceId);

        // A silo's publishes share its event log's group commit; a client appends through a log of its own.
        if (services.GetService<IEventLog>() is PostgresEventLog log && log.ServiceId == serviceId)
        {
            _log = log;
        }
        else
        {
            _log = _ownLog = new PostgresEventLog(
                options.ConnectionString,
                services.GetService<TimeProvider>() ?? TimeProvider.System,
                services.GetRequiredService<ILogger<PostgresEventLog>>(),
                serviceId);
        }

        _mapper = QueueMapper(name, options.Queues);
        _cache = new SimpleQueueAdapterCache(new SimpleQueueCacheOptions(), name, services.GetRequiredService<ILoggerFactory>());
        _ownerPrefix = services.GetService<Orleans.Runtime.ILocalSiloDetails>()?.SiloAddress.ToParsableString() ?? Environment.MachineName;
    }

    /// <summary>The factory Orleans' <c>AddPersistentStreams</c> calls, with the options named after the provider.</summary>
    public static PostgresQueueAdapterFactory Create(IServiceProvider services, string name) =>
        new(name, services.GetRequiredService<IOptionsMonitor<PostgresStreamOptions>>().Get(name), services);

    public PostgresStreamCursor Cursor => _cursor;

    /// <summary>
    /// Which queue a stream's events go to, for provider <paramref name="name"/> with <paramref name="queues"/> queues.
    /// Deterministic: every silo, client and grain storage that builds it agrees.
    /// </summary>
    public static HashRingBasedStreamQueueMapper QueueMapper(string name, int queues) =>
        new(new HashRingStreamQueueMapperOptions { TotalQueueCount = queues }, name);

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) =>
        Task.FromResult<IQueueAdapter>(new PostgresQueueAdapter(_name, _log, _mapper, CreateReceiver));

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new PostgresStreamFailureHandler(
            queueId, q => _receivers.GetValueOrDefault(q), _services.GetRequiredService<ILogger<PostgresStreamFailureHandler>>()));

    /// <summary>A receiver for one queue, with a lease owner no other receiver shares; it replaces the queue's earlier receiver here.</summary>
    public PostgresQueueAdapterReceiver CreateReceiver(QueueId queueId) => _receivers[queueId] = new(
        queueId,
        $"{_ownerPrefix}/{queueId.GetNumericId()}/{Guid.NewGuid():N}",
        _cursor,
        _options,
        _services.GetService<TimeProvider>() ?? TimeProvider.System,
        _services.GetRequiredService<ILogger<PostgresQueueAdapterReceiver>>());

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (_ownLog is not null)
        {
            await _ownLog.DisposeAsync();
        }

        await _bookkeepingDataSource.DisposeAsync();
    }
}
