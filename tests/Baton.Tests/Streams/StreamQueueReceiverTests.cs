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
    public async Task A_publish_is_one_log_row_per_event_naming_its_queue()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var stream = bench.StreamOn(queue: 2, "a");

        await bench.PublishAsync(stream, 3);

        Assert.Equal(3, await bench.ScalarAsync("SELECT count(*) FROM baton_event_log WHERE service_id = @service AND queue_id = 2 AND stream_key IS NULL"));
        var batches = (await bench.Receiver(2).GetQueueMessagesAsync(100, CancellationToken.None)).Cast<PostgresBatchContainer>().ToList();
        Assert.All(batches, b => Assert.Equal(stream, b.StreamId));
        Assert.Equal([1L, 2L, 3L], batches.Select(b => Assert.Single(b.GetEvents<EventEnvelope>()).Item1.Sequence));
    }

    [Fact]
    public async Task A_stream_whose_key_is_not_the_subject_is_delivered_on_its_own_stream()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var stream = bench.StreamOn(queue: 0, "keyed");
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var envelope = new EventEnvelope(Guid.NewGuid().ToString(), "bench.event", "another-subject", 1, at, null, "{}");

        await bench.Adapter.QueueMessageBatchAsync(stream, new[] { envelope }, null, null);

        var batch = Assert.IsType<PostgresBatchContainer>(Assert.Single(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None)));
        Assert.Equal(stream, batch.StreamId);
        Assert.Equal(envelope, batch.Envelope);
    }

    [Fact]
    public async Task Concurrent_publishes_are_each_committed_when_their_call_returns_and_keep_per_stream_order()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        var streams = Enumerable.Range(0, 20).Select(i => bench.StreamOn(i % 2, $"c{i}")).ToArray();

        // Twenty publishers at once, each awaiting every publish as an outbox does, so the log groups them.
        await Task.WhenAll(streams.Select(async stream =>
        {
            var key = stream.GetKeyAsString();
            for (var sequence = 1L; sequence <= 5; sequence++)
            {
                var envelope = new EventEnvelope(Guid.NewGuid().ToString(), "bench.event", key, sequence, DateTimeOffset.UtcNow, null, "{}");
                await bench.Adapter.QueueMessageBatchAsync(stream, new[] { envelope }, null, null);

                // Acknowledged means committed: another connection sees the row.
                Assert.Equal(sequence, await bench.ScalarAsync($"SELECT count(*) FROM baton_event_log WHERE service_id = @service AND subject = '{key}'"));
            }
        }));

        var events = new List<PostgresBatchContainer>();
        foreach (var queue in new[] { 0, 1 })
        {
            events.AddRange((await bench.Receiver(queue).GetQueueMessagesAsync(1000, CancellationToken.None)).Cast<PostgresBatchContainer>());
        }

        Assert.Equal(100, events.Count);
        foreach (var stream in streams)
        {
            Assert.Equal([1L, 2L, 3L, 4L, 5L], events.Where(e => e.StreamId == stream).OrderBy(e => e.Position).Select(e => e.Envelope.Sequence));
        }
    }

    [Fact]
    public async Task Only_event_envelopes_are_accepted()
    {
        await using var bench = await QueueBench.StartAsync(postgres);

        var error = await Assert.ThrowsAsync<NotSupportedException>(() =>
            bench.Adapter.QueueMessageBatchAsync(bench.StreamOn(0, "a"), new[] { 42 }, null, null));

        Assert.Contains(nameof(EventEnvelope), error.Message);
        Assert.Equal(0, await bench.CountAsync("baton_event_log"));
    }

    [Fact]
    public async Task A_reader_hands_out_its_own_queue_in_position_order_and_holds_the_queue()
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

        var events = first.Concat(second).Cast<PostgresBatchContainer>().ToList();
        Assert.Equal(6, events.Count);
        Assert.Equal(events.Select(e => e.Position).Order(), events.Select(e => e.Position));
        Assert.Equal([1L, 2L, 3L], events.Where(e => e.StreamId == a).Select(e => e.Envelope.Sequence));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.Second.SequenceToken.Newer(p.First.SequenceToken)));

        // Leased: a second reader of the same queue gets nothing, and the first does not hand anything out twice.
        Assert.Empty(await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Empty(await reader.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.True(reader.Leased);
    }

    [Fact]
    public async Task Delivered_events_move_the_cursor_and_an_undelivered_one_holds_it()
    {
        await using var bench = await QueueBench.StartAsync(postgres, o => o.CursorInterval = TimeSpan.Zero);
        var a = bench.StreamOn(0, "a");
        for (var i = 0; i < 4; i++)
        {
            await bench.PublishAsync(a, 1);
        }

        var reader = bench.Receiver(0);
        var events = (await reader.GetQueueMessagesAsync(100, CancellationToken.None)).Cast<PostgresBatchContainer>().ToList();

        // The second is still on its way: the cursor may pass the first only.
        await reader.MessagesDeliveredAsync([events[0], events[2], events[3]], CancellationToken.None);
        Assert.Equal(events[0].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));

        await reader.MessagesDeliveredAsync([events[1]], CancellationToken.None);
        Assert.Equal(events[3].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));

        // Delivered events stay in the log for the feed.
        Assert.Equal(4, await bench.CountAsync("baton_event_log"));
    }

    [Fact]
    public async Task The_next_reader_hands_out_again_from_the_cursor_what_a_dead_reader_did_not_deliver()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bench = await QueueBench.StartAsync(postgres, o => o.Lease = TimeSpan.FromSeconds(3), clock);
        var a = bench.StreamOn(0, "a");
        await bench.PublishAsync(a, 3);
        var dead = bench.Receiver(0);
        var handed = await dead.GetQueueMessagesAsync(100, CancellationToken.None);
        await dead.MessagesDeliveredAsync([handed[0]], CancellationToken.None);
        await bench.PublishAsync(a, 1);

        // The reader's silo dies: nothing renews its lease, and it lapses.
        await bench.LapseLeaseAsync();

        var next = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);
        Assert.Equal([2L, 3L, 4L], next.Cast<PostgresBatchContainer>().Select(e => e.Envelope.Sequence));

        // The old reader (paused, not dead) learns at its next renewal that it lost the queue, and hands out nothing more.
        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Empty(await dead.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.False(dead.Leased);
    }

    [Fact]
    public async Task A_live_reader_renews_its_lease_so_its_queue_is_not_handed_to_another()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bench = await QueueBench.StartAsync(postgres, o => o.Lease = TimeSpan.FromSeconds(3), clock);
        await bench.PublishAsync(bench.StreamOn(0, "a"), 1);
        var reader = bench.Receiver(0);
        Assert.Single(await reader.GetQueueMessagesAsync(100, CancellationToken.None));
        var leasedUntil = await bench.ScalarAsync(LeasedUntil);

        // A third of the lease later the reader's next poll renews it.
        clock.Advance(TimeSpan.FromSeconds(1.1));
        Assert.Empty(await reader.GetQueueMessagesAsync(100, CancellationToken.None));

        Assert.True(await bench.ScalarAsync(LeasedUntil) > leasedUntil);
    }

    [Fact]
    public async Task The_lease_is_renewed_in_the_background_while_the_agent_does_not_poll()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bench = await QueueBench.StartAsync(postgres, o => o.Lease = TimeSpan.FromSeconds(3), clock);
        await bench.PublishAsync(bench.StreamOn(0, "a"), 1);
        var reader = bench.Receiver(0);
        await reader.Initialize(TimeSpan.FromSeconds(5));
        Assert.Single(await reader.GetQueueMessagesAsync(100, CancellationToken.None));
        var before = await bench.ScalarAsync(LeasedUntil);

        // The agent is busy (cache under pressure) and does not poll; the renewal loop still runs.
        clock.Advance(TimeSpan.FromSeconds(0.5));
        clock.Advance(TimeSpan.FromSeconds(0.6));

        var after = await Events.Poll.Until(() => bench.ScalarAsync(LeasedUntil), v => v > before, TimeSpan.FromSeconds(10));
        Assert.True(after > before);
        await reader.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task A_stopping_reader_gives_its_queue_to_the_next_reader_at_once()
    {
        await using var bench = await QueueBench.StartAsync(postgres);
        await bench.PublishAsync(bench.StreamOn(0, "a"), 2);
        var reader = bench.Receiver(0);
        var handed = await reader.GetQueueMessagesAsync(100, CancellationToken.None);
        await reader.MessagesDeliveredAsync([handed[0]], CancellationToken.None);

        await reader.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);

        var next = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);
        Assert.Equal([2L], next.Cast<PostgresBatchContainer>().Select(e => e.Envelope.Sequence));
    }

    [Fact]
    public async Task Dead_letters_older_than_retention_are_evicted()
    {
        await using var bench = await QueueBench.StartAsync(postgres, o => o.Retention = TimeSpan.FromDays(7));
        await bench.PublishAsync(bench.StreamOn(0, "a"), 1);
        await bench.ExecuteAsync(
            """
            INSERT INTO baton_stream_dead_letter (service_id, position, queue_id, event_id, namespace, stream_key, type, sequence, payload, attempts, reason, failed_at)
            VALUES (@service, -1, 0, 'x1', 'bench', 'old', 't', 1, '{}', 5, 'test', now() - interval '8 days'),
                   (@service, -2, 0, 'x2', 'bench', 'new', 't', 1, '{}', 5, 'test', now())
            """);

        var batches = await bench.Receiver(0).GetQueueMessagesAsync(100, CancellationToken.None);

        Assert.Single(batches);
        Assert.Equal(-2, await bench.ScalarAsync("SELECT position FROM baton_stream_dead_letter WHERE service_id = @service"));
    }

    [Fact]
    public async Task Deliveries_write_the_cursor_at_most_once_per_interval_and_the_renewal_loop_writes_what_they_left()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var bench = await QueueBench.StartAsync(postgres, o =>
        {
            o.Lease = TimeSpan.FromSeconds(6);
            o.CursorInterval = TimeSpan.FromSeconds(2);
        }, clock);
        var a = bench.StreamOn(0, "a");
        await bench.PublishAsync(a, 4);
        var reader = bench.Receiver(0);
        var events = (await reader.GetQueueMessagesAsync(100, CancellationToken.None)).Cast<PostgresBatchContainer>().ToList();

        // (The renewal loop is not started yet.) The first delivery writes at once; the next within the interval only moves the cursor in memory.
        await reader.MessagesDeliveredAsync([events[0]], CancellationToken.None);
        Assert.Equal(events[0].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));
        await reader.MessagesDeliveredAsync([events[1]], CancellationToken.None);
        Assert.Equal(events[0].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));

        // A delivery after the interval writes everything delivered so far.
        clock.Advance(TimeSpan.FromSeconds(0.9));
        await reader.MessagesDeliveredAsync([events[2]], CancellationToken.None);
        Assert.Equal(events[0].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));
        clock.Advance(TimeSpan.FromSeconds(0.9));
        Assert.Equal(events[0].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));
        clock.Advance(TimeSpan.FromSeconds(0.3));
        await reader.MessagesDeliveredAsync([events[3]], CancellationToken.None);
        Assert.Equal(events[3].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));

        // When deliveries stop inside the interval, the renewal loop (every sixth of the lease) writes the rest.
        await reader.Initialize(TimeSpan.FromSeconds(5));
        await bench.PublishAsync(a, 1);
        var last = Assert.IsType<PostgresBatchContainer>(Assert.Single(await reader.GetQueueMessagesAsync(100, CancellationToken.None)));
        await reader.MessagesDeliveredAsync([last], CancellationToken.None);
        Assert.Equal(events[3].Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(last.Position, await Events.Poll.Until(() => bench.Factory.Cursor.DeliveredThroughAsync(0), v => v == last.Position, TimeSpan.FromSeconds(10)));
        await reader.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
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
        await bench.PublishAsync(a, 2);
        var handler = await bench.Factory.GetDeliveryFailureHandler(bench.Queue(0));
        var subscription = GuidId.GetGuidId(Guid.NewGuid());
        var reader = bench.Receiver(0);

        var handed = await reader.GetQueueMessagesAsync(100, CancellationToken.None);
        await handler.OnDeliveryFailure(subscription, "baton", a, handed[0].SequenceToken);
        await reader.MessagesDeliveredAsync([handed[1]], CancellationToken.None);
        Assert.Equal(0, await bench.CountAsync("baton_stream_dead_letter"));
        Assert.Equal(0, await bench.Factory.Cursor.DeliveredThroughAsync(0));

        // Handed out again, after the event behind it.
        var again = Assert.IsType<PostgresBatchContainer>(Assert.Single(await reader.GetQueueMessagesAsync(100, CancellationToken.None)));
        Assert.Equal(((PostgresBatchContainer)handed[0]).Position, again.Position);
        Assert.True(again.SequenceToken.Newer(handed[1].SequenceToken));
        await handler.OnDeliveryFailure(subscription, "baton", a, again.SequenceToken);

        var (attempts, reason) = await bench.DeadLetterAsync();
        Assert.Equal(2, attempts);
        Assert.Contains("delivery failed on attempt 2 of 2", reason);
        Assert.Contains(subscription.Guid.ToString(), reason);

        // Passed: the cursor is beyond both, and nothing more is handed out.
        Assert.Equal(((PostgresBatchContainer)handed[1]).Position, await bench.Factory.Cursor.DeliveredThroughAsync(0));
        Assert.Empty(await reader.GetQueueMessagesAsync(100, CancellationToken.None));
    }

    [Fact]
    public void Options_with_bad_values_are_refused_with_every_problem_named()
    {
        var options = new PostgresStreamOptions { Queues = 0, MaxAttempts = 0, Lease = TimeSpan.Zero, BatchSize = 0, CursorInterval = TimeSpan.FromSeconds(-1), ConnectionString = "" };

        var problems = options.Problems();

        Assert.Contains(problems, p => p.Contains("Queues"));
        Assert.Contains(problems, p => p.Contains("MaxAttempts"));
        Assert.Contains(problems, p => p.Contains("Lease"));
        Assert.Contains(problems, p => p.Contains("BatchSize"));
        Assert.Contains(problems, p => p.Contains("CursorInterval"));
        Assert.Contains(problems, p => p.Contains("connection string"));
        Assert.Throws<ArgumentException>(options.Validate);
        Assert.Empty(new PostgresStreamOptions { ConnectionString = "Host=x" }.Problems());
    }

    private const string LeasedUntil = "SELECT (extract(epoch FROM leased_until) * 1000000)::bigint FROM baton_stream_cursor WHERE service_id = @service AND queue_id = 0";

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

        private string ServiceId => Factory.Cursor.ServiceId;

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

        public Task LapseLeaseAsync() => ExecuteAsync("UPDATE baton_stream_cursor SET leased_until = now() - interval '1 second' WHERE service_id = @service");

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
