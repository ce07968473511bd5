using Baton.Contracts;
using Baton.Postgres;
using Baton.Postgres.Streams;
using Baton.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace Baton.Tests.Streams;

/// <summary>The queue adapter and receiver against a real, migrated database, without a cluster.</summary>
[Collection("postgres")]
public sealed class StreamQueueReceiverTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_publish_call_is_one_row_holding_all_its_events_for_that_stream()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var stream = bench.StreamOn(queue: 0, "a");

        await bench.PublishAsync(stream, 3);

        var batches = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);
        var batch = Assert.IsType<PostgresBatchContainer>(Assert.Single(batches));
        Assert.Equal(stream, batch.StreamId);
        Assert.Equal([1L, 2L, 3L], batch.GetEvents<EventEnvelope>().Select(e => e.Item1.Sequence));
        Assert.Equal([0, 1, 2], batch.GetEvents<EventEnvelope>().Select(e => e.Item2.EventIndex));
    }

    [Fact]
    public async Task Concurrent_publishes_are_each_committed_when_their_call_returns_and_keep_per_stream_order()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var streams = Enumerable.Range(0, 20).Select(i => bench.StreamOn(i % 2, $"c{i}")).ToArray();

        // Twenty publishers at once, each awaiting every publish as an outbox does, so the writer groups them.
        await Task.WhenAll(streams.Select(async stream =>
        {
            var key = stream.GetKeyAsString();
            for (var sequence = 1L; sequence <= 5; sequence++)
            {
                var envelope = new EventEnvelope(Guid.NewGuid().ToString(), "bench.event", key, sequence, DateTimeOffset.UtcNow, null, "{}");
                await bench.Adapter.QueueMessageBatchAsync(stream, new[] { envelope }, null, null);

                // Acknowledged means committed: another connection sees the row.
                Assert.Equal(sequence, await bench.ScalarAsync($"SELECT count(*) FROM baton_stream_queue WHERE service_id = @service AND stream_key = '{key}'"));
            }
        }));

        var rows = new List<PostgresBatchContainer>();
        foreach (var queue in new[] { 0, 1 })
        {
            rows.AddRange((await bench.Receiver(queue).GetQueueMessagesAsync(1000, CancellationToken.None)).Cast<PostgresBatchContainer>());
        }

        Assert.Equal(100, rows.Count);
        foreach (var stream in streams)
        {
            Assert.Equal([1L, 2L, 3L, 4L, 5L], rows.Where(r => r.StreamId == stream).OrderBy(r => r.RowId).Select(r => r.Events[0].Sequence));
        }
    }

    [Fact]
    public async Task Only_event_envelopes_are_accepted()
    {
        await using var bench = await QueueBench.StartAsync(postgres);

        var error = await Assert.ThrowsAsync<NotSupportedException>(() =>
            bench.Adapter.QueueMessageBatchAsync(bench.StreamOn(0, "a"), new[] { 42 }, null, null));

        Assert.Contains(nameof(EventEnvelope), error.Message);
        Assert.Equal(0, await bench.CountAsync("baton_stream_queue"));
    }

    [Fact]
    public async Task A_receiver_claims_its_own_queue_in_id_order_and_leases_what_it_claimed()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var a = bench.StreamOn(0, "a");
        var b = bench.StreamOn(0, "b");
        for (var i = 0; i < 3; i++)
        {
            await bench.PublishAsync(a, 1);
            await bench.PublishAsync(b, 1);
        }

        await bench.PublishAsync(bench.StreamOn(1, "elsewhere"), 1);

        var reader = bench.Receiver(0);
        var first = await reader.GetQueueMessagesAsync(4, CancellationToken.None);
        var second = await reader.GetQueueMessagesAsync(4, CancellationToken.None);

        var rows = first.Concat(second).Cast<PostgresBatchContainer>().ToList();
        Assert.Equal(6, rows.Count);
        Assert.Equal(rows.Select(r => r.RowId).Order(), rows.Select(r => r.RowId));
        Assert.Equal([1L, 2L, 3L], rows.Where(r => r.StreamId == a).Select(r => r.Events[0].Sequence));
        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.Second.SequenceToken.Newer(p.First.SequenceToken)));

        // Leased: a second reader of the same queue gets nothing, and neither does the first again.
        Assert.Empty(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Empty(await reader.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Equal(6, await bench.ScalarAsync("SELECT count(*) FROM baton_stream_queue WHERE queue_id = 0 AND attempts = 1 AND leased_until > now()"));
    }

    [Fact]
    public async Task A_second_reader_of_the_queue_does_not_take_a_streams_next_row_while_another_reader_holds_an_older_one()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var a = bench.StreamOn(0, "a");
        var b = bench.StreamOn(0, "b");
        await bench.PublishAsync(a, 1);
        await bench.PublishAsync(a, 1);
        await bench.PublishAsync(b, 1);
        var old = bench.Receiver(0);
        var next = bench.Receiver(0);

        // The old agent is still stopping and holds a1; the new one must not hand out a2 before it.
        var held = Assert.Single(await old.GetQueueMessagesAsync(1, CancellationToken.None));
        var taken = await next.GetQueueMessagesAsync(100, CancellationToken.None);
        Assert.Equal([b], taken.Select(t => t.StreamId));

        await old.MessagesDeliveredAsync([held], CancellationToken.None);
        var after = await next.GetQueueMessagesAsync(100, CancellationToken.None);
        Assert.Equal([2L], after.Cast<PostgresBatchContainer>().Where(t => t.StreamId == a).Select(t => t.Events[0].Sequence));
    }

    [Fact]
    public async Task Rows_whose_lease_lapsed_are_handed_out_again_in_id_order_before_newer_rows()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var a = bench.StreamOn(0, "a");
        await bench.PublishAsync(a, 1);
        await bench.PublishAsync(a, 1);
        var dead = bench.Receiver(0);
        Assert.Equal(2, (await dead.GetQueueMessagesAsync(100, CancellationToken.None)).Count);
        await bench.PublishAsync(a, 1);

        // The reader's silo dies: nothing renews its leases, and they lapse.
        await bench.LapseLeasesAsync();

        var next = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);
        Assert.Equal([1L, 2L, 3L], next.Cast<PostgresBatchContainer>().Select(r => r.Events[0].Sequence));
        Assert.Equal([2, 2, 1], await bench.AttemptsAsync());
    }

    [Fact]
    public async Task A_live_reader_renews_its_leases_so_its_rows_are_not_handed_to_another()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bench = await QueueBench.StartAsync(postgres, o => o.Lease = TimeSpan.FromSeconds(3), clock);
        await bench.PublishAsync(bench.StreamOn(0, "a"), 1);
        var reader = bench.Receiver(0);
        Assert.Single(await reader.GetQueueMessagesAsync(100, CancellationToken.None));
        var leasedUntil = await bench.ScalarAsync("SELECT (extract(epoch FROM leased_until) * 1000000)::bigint FROM baton_stream_queue");

        // A third of the lease later the reader's next poll renews the lease on the row it still holds.
        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Empty(await reader.GetQueueMessagesAsync(100, CancellationToken.None));

        Assert.True(await bench.ScalarAsync("SELECT (extract(epoch FROM leased_until) * 1000000)::bigint FROM baton_stream_queue") > leasedUntil);
    }

    [Fact]
    public async Task Leases_are_renewed_in_the_background_while_the_agent_does_not_poll()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bench = await QueueBench.StartAsync(postgres, o => o.Lease = TimeSpan.FromSeconds(3), clock);
        await bench.PublishAsync(bench.StreamOn(0, "a"), 1);
        var reader = bench.Receiver(0);
        await reader.Initialize(TimeSpan.FromSeconds(5));
        Assert.Single(await reader.GetQueueMessagesAsync(100, CancellationToken.None));
        const string LeasedUntil = "SELECT (extract(epoch FROM leased_until) * 1000000)::bigint FROM baton_stream_queue";
        var before = await bench.ScalarAsync(LeasedUntil);

        // The agent is busy (cache under pressure) and does not poll; the renewal loop still runs.
        clock.Advance(TimeSpan.FromSeconds(0.5));
        clock.Advance(TimeSpan.FromSeconds(0.6));

        var after = await Events.Poll.Until(() => bench.ScalarAsync(LeasedUntil), v => v > before, TimeSpan.FromSeconds(10));
        Assert.True(after > before);
        await reader.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task Delivered_rows_are_deleted_and_undelivered_ones_stay()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var a = bench.StreamOn(0, "a");
        for (var i = 0; i < 4; i++)
        {
            await bench.PublishAsync(a, 1);
        }

        var reader = bench.Receiver(0);
        var batches = await reader.GetQueueMessagesAsync(100, CancellationToken.None);

        await reader.MessagesDeliveredAsync([.. batches.Take(3)], CancellationToken.None);

        Assert.Equal(1, await bench.CountAsync("baton_stream_queue"));
        Assert.Equal(((PostgresBatchContainer)batches[3]).RowId, await bench.ScalarAsync("SELECT id FROM baton_stream_queue"));
    }

    [Fact]
    public async Task A_stopping_reader_releases_its_rows_to_the_next_reader_at_once()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        await bench.PublishAsync(bench.StreamOn(0, "a"), 1);
        var reader = bench.Receiver(0);
        Assert.Single(await reader.GetQueueMessagesAsync(100, CancellationToken.None));

        await reader.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);

        Assert.Single(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None));
    }

    [Fact]
    public async Task Rows_and_dead_letters_older_than_retention_are_evicted()
    {
        await using var bench = await QueueBench.StartAsync(postgres, o => o.Retention = TimeSpan.FromDays(7));
        var a = bench.StreamOn(0, "a");
        for (var i = 0; i < 3; i++)
        {
            await bench.PublishAsync(a, 1);
        }

        await bench.ExecuteAsync("UPDATE baton_stream_queue SET enqueued_at = now() - interval '8 days' WHERE id IN (SELECT id FROM baton_stream_queue ORDER BY id LIMIT 2)");
        await bench.ExecuteAsync(
            """
            INSERT INTO baton_stream_dead_letter (id, service_id, queue_id, stream_key, payload, enqueued_at, leased_until, attempts, reason, failed_at)
            VALUES (-1, @service, 0, 'old', '\x00', now() - interval '9 days', now(), 5, 'test', now() - interval '8 days'),
                   (-2, @service, 0, 'new', '\x00', now(), now(), 5, 'test', now())
            """);

        var batches = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);

        Assert.Equal([3L], batches.Cast<PostgresBatchContainer>().Select(b => b.Events[0].Sequence));
        Assert.Equal(1, await bench.CountAsync("baton_stream_queue"));
        Assert.Equal(-2, await bench.ScalarAsync("SELECT id FROM baton_stream_dead_letter"));
    }

    [Fact]
    public async Task A_row_claimed_max_attempts_times_goes_to_the_dead_letter_table_and_the_rows_behind_it_flow()
    {
        await using var bench = await QueueBench.StartAsync(postgres, o => o.MaxAttempts = 2);
        var a = bench.StreamOn(0, "a");
        await bench.PublishAsync(a, 1);
        Assert.Single(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None));
        await bench.LapseLeasesAsync();
        Assert.Single(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None));
        await bench.LapseLeasesAsync();
        await bench.PublishAsync(a, 1);

        var batches = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);

        Assert.Equal([2L], batches.Cast<PostgresBatchContainer>().Select(b => b.Events[0].Sequence));
        var (attempts, reason) = await bench.DeadLetterAsync();
        Assert.Equal(2, attempts);
        Assert.Contains("claimed 2 times (MaxAttempts 2) without being delivered", reason);
    }

    [Fact]
    public async Task A_failed_delivery_is_handed_out_again_until_its_last_attempt_then_dead_lettered_with_the_reason()
    {
        await using var bench = await QueueBench.StartAsync(postgres, o =>
        {
            o.MaxAttempts = 2;
            o.RedeliveryDelay = TimeSpan.Zero;
        });
        var a = bench.StreamOn(0, "a");
        await bench.PublishAsync(a, 1);
        var handler = await bench.Factory.GetDeliveryFailureHandler(bench.Queue(0));
        var subscription = GuidId.GetGuidId(Guid.NewGuid());

        var first = Assert.Single(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None));
        await handler.OnDeliveryFailure(subscription, "baton", a, first.SequenceToken);
        Assert.Equal(1, await bench.CountAsync("baton_stream_queue"));
        Assert.Equal(0, await bench.CountAsync("baton_stream_dead_letter"));

        var second = Assert.Single(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Equal(((PostgresBatchContainer)first).RowId, ((PostgresBatchContainer)second).RowId);
        await handler.OnDeliveryFailure(subscription, "baton", a, second.SequenceToken);

        Assert.Equal(0, await bench.CountAsync("baton_stream_queue"));
        var (attempts, reason) = await bench.DeadLetterAsync();
        Assert.Equal(2, attempts);
        Assert.Contains("delivery failed on attempt 2 of 2", reason);
        Assert.Contains(subscription.Guid.ToString(), reason);
    }

    [Fact]
    public async Task A_row_that_cannot_be_read_is_dead_lettered_and_does_not_block_the_queue()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        await bench.ExecuteAsync("INSERT INTO baton_stream_queue (service_id, queue_id, stream_key, payload) VALUES (@service, 0, 'junk', '\\x0102')");
        await bench.PublishAsync(bench.StreamOn(0, "a"), 1);

        var batches = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);

        Assert.Single(batches);
        var (_, reason) = await bench.DeadLetterAsync();
        Assert.Contains("cannot be deserialized", reason);
    }

    [Fact]
    public void Options_with_bad_values_are_refused_with_every_problem_named()
    {
        var options = new PostgresStreamOptions { Queues = 0, MaxAttempts = 0, Lease = TimeSpan.Zero, BatchSize = 0, ConnectionString = "" };

        var problems = options.Problems();

        Assert.Contains(problems, p => p.Contains("Queues"));
        Assert.Contains(problems, p => p.Contains("MaxAttempts"));
        Assert.Contains(problems, p => p.Contains("Lease"));
        Assert.Contains(problems, p => p.Contains("BatchSize"));
        Assert.Contains(problems, p => p.Contains("connection string"));
        Assert.Throws<ArgumentException>(options.Validate);
        Assert.Empty(new PostgresStreamOptions { ConnectionString = "Host=x" }.Problems());
    }

    /// <summary>A migrated database and a queue adapter factory as a silo would build it, for one service.</summary>
    private sealed class QueueBench : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly string _database;
        private readonly Dictionary<StreamId, long> _sequences = [];

        private QueueBench(ServiceProvider services, string database, PostgresQueueAdapterFactory factory, IQueueAdapter adapter)
        {
            _services = services;
            _database = database;
            Factory = factory;
            Adapter = adapter;
        }

        public PostgresQueueAdapterFactory Factory { get; }

        public IQueueAdapter Adapter { get; }

        private string ServiceId => Factory.Table.ServiceId;

        public static async Task<QueueBench> StartAsync(PostgresFixture postgres, Action<PostgresStreamOptions>? configure = null, TimeProvider? time = null)
        {
            var database = await postgres.CreateDatabaseAsync();
            await PostgresSchema.MigrateAsync(database, NullLogger.Instance);
            var options = new PostgresStreamOptions { ConnectionString = database, Queues = 4 };
            configure?.Invoke(options);
            var services = new ServiceCollection()
                .AddLogging()
                .AddSingleton(time ?? TimeProvider.System)
                .Configure<ClusterOptions>(o => o.ServiceId = "bench-" + Guid.NewGuid().ToString("N")[..8])
                .AddSerializer(s => s.AddAssembly(typeof(PostgresBatchContainer).Assembly).AddAssembly(typeof(EventEnvelope).Assembly))
                .BuildServiceProvider();
            var factory = new PostgresQueueAdapterFactory(BatonStreams.Provider, options, services);
            return new QueueBench(services, database, factory, await factory.CreateAdapter(CancellationToken.None));
        }

        public QueueId Queue(int number) => Factory.GetStreamQueueMapper().GetAllQueues().Single(q => q.GetNumericId() == number);

        public PostgresQueueAdapterReceiver Receiver(int queue) => Factory.CreateReceiver(Queue(queue));

        /// <summary>A stream named after <paramref name="name"/> that the mapper puts in queue <paramref name="queue"/>.</summary>
        public StreamId StreamOn(int queue, string name)
        {
            var mapper = Factory.GetStreamQueueMapper();
            for (var i = 0; ; i++)
            {
                var candidate = StreamId.Create("bench", $"{name}-{i}");
                if (mapper.GetQueueForStream(candidate).GetNumericId() == queue)
                {
                    return candidate;
                }
            }
        }

        /// <summary>Publishes <paramref name="events"/> events in one call, with the stream's next sequences.</summary>
        public async Task PublishAsync(StreamId stream, int events)
        {
            var last = _sequences.GetValueOrDefault(stream);
            var envelopes = Enumerable.Range(1, events)
                .Select(i => new EventEnvelope(Guid.NewGuid().ToString(), "bench.event", stream.GetKeyAsString(), last + i, DateTimeOffset.UtcNow, null, "{}"))
                .ToList();
            _sequences[stream] = last + events;
            await Adapter.QueueMessageBatchAsync(stream, envelopes, null, null);
        }

        public Task LapseLeasesAsync() => ExecuteAsync("UPDATE baton_stream_queue SET leased_until = now() - interval '1 second' WHERE leased_until > now()");

        public async Task<List<int>> AttemptsAsync()
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand("SELECT attempts FROM baton_stream_queue ORDER BY id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            var attempts = new List<int>();
            while (await reader.ReadAsync())
            {
                attempts.Add(reader.GetInt32(0));
            }

            return attempts;
        }

        public async Task<(int Attempts, string Reason)> DeadLetterAsync()
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand("SELECT attempts, reason FROM baton_stream_dead_letter WHERE service_id = @service", connection);
            command.Parameters.AddWithValue("service", ServiceId);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync(), "expected a dead letter");
            var row = (reader.GetInt32(0), reader.GetString(1));
            Assert.False(await reader.ReadAsync(), "expected exactly one dead letter");
            return row;
        }

        public Task<long> CountAsync(string table) => ScalarAsync($"SELECT count(*) FROM {table} WHERE service_id = @service");

        public async Task<long> ScalarAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("service", ServiceId);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = await OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.AddWithValue("service", ServiceId);
            await command.ExecuteNonQueryAsync();
        }

        public async ValueTask DisposeAsync()
        {
            Factory.Dispose();
            await _services.DisposeAsync();
        }

        private async Task<NpgsqlConnection> OpenAsync()
        {
            var connection = new NpgsqlConnection(_database);
            await connection.OpenAsync();
            return connection;
        }
    }
}
