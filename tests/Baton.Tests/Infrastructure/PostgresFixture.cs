using Xunit;

namespace Baton.Tests.Infrastructure;

/// <summary>
/// Gives a test collection the run's one PostgreSQL server. The server is shared by every
/// collection that uses this fixture, started on first use and stopped when the test process
/// exits (see <see cref="PostgresServer"/>), so disposing one collection never pulls it away
/// from another.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(PostgresServer.StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL fixture is not initialized yet.");

    public string AdminConnectionString => Server.AdminConnectionString;

    /// <summary>A fresh, empty database on the shared server; see <see cref="PostgresServer.CreateDatabaseAsync"/>.</summary>
    public Task<string> CreateDatabaseAsync(string? name = null) => Server.CreateDatabaseAsync(name);

    public async Task InitializeAsync() => _server = await SharedServer.Value;

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
}
