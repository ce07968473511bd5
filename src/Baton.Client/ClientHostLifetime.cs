using Microsoft.Extensions.Hosting;

namespace Baton.Client;

/// <summary>
/// Replaces the console lifetime: a client host must not take over Ctrl+C or SIGTERM from the
/// application that embeds it; the application decides when to dispose the client.
/// </summary>
internal sealed class ClientHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
