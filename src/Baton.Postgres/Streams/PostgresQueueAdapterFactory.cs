using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Serialization;
using Orleans.Streams;

namespace Baton.Postgres.Streams;

/// <summary>
/// Orleans' entry point to Baton's PostgreSQL stream queue: the adapter that writes, a receiver
/// and a failure handler per queue, Orleans' simple queue cache, and a hash-ring mapper that
/// spreads streams over <see cref="PostgresStreamOptions.Queues"/> queues.
/// </summary>
public sealed class PostgresQueueAdapterFactory : IQueueAdapterFactory, IDisposable, IAsyncDisposable
{
    private readonly string _name;
    private readonly PostgresStreamOptions _options;
    private readonly IServiceProvider _services;
    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _bookkeepingDataSource;
    private readonly PostgresQueueTable _table;
    private readonly PostgresQueueWriter _writer;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly SimpleQueueAdapterCache _cache;
    private readonly Serializer<PostgresBatchContainer> _serializer;
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
        // The same few statements run all the time: prepare them once per connection. No session state is ever
        // set on these connections (no SET, LISTEN, temp tables or session advisory locks; see PostgresQueueTable),
        // so a pooled connection need not be reset when it is reused: that reset is several statements (and
        // transactions) on the server before nearly every claim, delete and insert.
        var durable = new NpgsqlConnectionStringBuilder(options.ConnectionString) { MaxAutoPrepare = 16, NoResetOnClose = true };
        _dataSource = NpgsqlDataSource.Create(durable);

        // Reader bookkeeping need not wait for the WAL flush: see PostgresQueueTable.
        var bookkeeping = new NpgsqlConnectionStringBuilder(durable.ConnectionString)
        {
            Options = string.Join(' ', new[] { durable.Options, "-c synchronous_commit=off" }.Where(o => !string.IsNullOrWhiteSpace(o))),
        };
        _bookkeepingDataSource = NpgsqlDataSource.Create(bookkeeping);
        _table = new PostgresQueueTable(_dataSource, services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId, _bookkeepingDataSource);
        _writer = new PostgresQueueWriter(_table, services.GetRequiredService<ILogger<PostgresQueueWriter>>());
        _mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = options.Queues }, name);
        _cache = new SimpleQueueAdapterCache(new SimpleQueueCacheOptions(), name, services.GetRequiredService<ILoggerFactory>());
        _serializer = services.GetRequiredService<Serializer<PostgresBatchContainer>>();
        _ownerPrefix = services.GetService<Orleans.Runtime.ILocalSiloDetails>()?.SiloAddress.ToParsableString() ?? Environment.MachineName;
    }

    /// <summary>The factory Orleans' <c>AddPersistentStreams</c> calls, with the options named after the provider.</summary>
    public static PostgresQueueAdapterFactory Create(IServiceProvider services, string name) =>
        new(name, services.GetRequiredService<IOptionsMonitor<PostgresStreamOptions>>().Get(name), services);

    public PostgresQueueTable Table => _table;

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) =>
        Task.FromResult<IQueueAdapter>(new PostgresQueueAdapter(_name, _writer, _mapper, _serializer, CreateReceiver));

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new PostgresStreamFailureHandler(
            queueId, _table, _options, _services.GetRequiredService<ILogger<PostgresStreamFailureHandler>>()));

    /// <summary>A receiver for one queue, with a lease owner no other receiver shares.</summary>
    public PostgresQueueAdapterReceiver CreateReceiver(QueueId queueId) => new(
        queueId,
        $"{_ownerPrefix}/{queueId.GetNumericId()}/{Guid.NewGuid():N}",
        _table,
        _serializer,
        _options,
        _services.GetService<TimeProvider>() ?? TimeProvider.System,
        _services.GetRequiredService<ILogger<PostgresQueueAdapterReceiver>>());

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _dataSource.DisposeAsync();
        await _bookkeepingDataSource.DisposeAsync();
    }
}
