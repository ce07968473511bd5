using System.Collections.Concurrent;
using Orleans;

namespace Baton.Client;

/// <summary>
/// Retries the initial connection until the caller's deadline cancels it, so a client started a
/// moment before its silo still connects, and one with no silo at all fails within seconds.
/// Keeps the failures so the final error can say why the attempts failed.
/// </summary>
internal sealed class ConnectRetryFilter(TimeSpan delay) : IClientConnectionRetryFilter
{
    private readonly ConcurrentQueue<Exception> _failures = new();

    public IEnumerable<Exception> Failures => _failures;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        _failures.Enqueue(exception);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }
}
