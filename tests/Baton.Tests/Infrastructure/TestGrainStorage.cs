using Baton.Contracts;
using Baton.Contracts.Locks;
using Baton.Grains.Locks;
using Baton.Postgres.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Streams;

namespace Baton.Tests.Infrastructure;

/// <summary>A Postgres grain storage outside a silo (service id <c>svc</c>, 8 stream queues), for storage-level tests.</summary>
internal static class TestGrainStorage
{
    public static PostgresGrainStorage Create(string database, params IPostgresSideWriter[] sideWriters)
    {
        var serializer = new ServiceCollection()
            .AddSerializer(builder => builder.AddAssembly(typeof(LockGrainState).Assembly).AddAssembly(typeof(AcquireRequest).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>();
        var queues = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = 8 }, BatonStreams.Provider);
        return new PostgresGrainStorage(database, "svc", serializer, queues, TimeProvider.System, NullLogger<PostgresGrainStorage>.Instance, sideWriters);
    }
}
