using Baton.Client.Cluster;
using Baton.Client.Feed;
using Baton.Client.Locks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Baton.Client;

/// <summary>
/// A connected Baton client: an Orleans client in its own generic host. Connect with
/// <see cref="ConnectAsync(BatonClientOptions, CancellationToken)"/>, dispose to disconnect.
/// </summary>
public sealed class BatonClient : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly IHost _host;
    private int _disposed;

    private BatonClient(IHost host)
    {
        _host = host;
        Cluster = host.Services.GetRequiredService<IClusterClient>();
        Events = new BatonEventFeed(Cluster);
        Locks = new BatonLocks(Cluster);
    }

    public IClusterClient Cluster { get; }

    public IGrainFactory Grains => Cluster;

    /// <summary>The resumable change feed: <see cref="BatonEventFeed.WatchAsync"/>.</summary>
    public BatonEventFeed Events { get; }

    /// <summary>Locks and leases: <see cref="BatonLocks.AcquireAsync"/> returns a lease that heartbeats itself and releases on dispose.</summary>
    public BatonLocks Locks { get; }

    /// <summary>The services of the client's host, for callers that need more than grains (streams, logging).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>
    /// Connects to the cluster the options describe, retrying for at most
    /// <see cref="BatonClientOptions.ConnectTimeout"/>. The host has no logging providers.
    /// </summary>
    /// <exception cref="BatonConnectionException">No gateway answered in time.</exception>
    /// <exception cref="ArgumentException">The options are not usable (a gateway that is not host:port).</exception>
    public static Task<BatonClient> ConnectAsync(BatonClientOptions options, CancellationToken ct)
        => ConnectAsync(options, configure: null, ct);

    /// <summary>
    /// As <see cref="ConnectAsync(BatonClientOptions, CancellationToken)"/>, with a hook to add
    /// services or logging providers to the client's host before it starts.
    /// </summary>
    public static async Task<BatonClient> ConnectAsync(BatonClientOptions options, Action<HostApplicationBuilder>? configure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var where = ConnectionFailure.Where(options);
        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ConnectTimeout must be positive (was {options.ConnectTimeout}).", nameof(options));
        }

        var retries = new ConnectRetryFilter(RetryDelay);
        IHost host;
        try
        {
            host = Build(options, retries, configure);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // Gateway host names are resolved while the client is configured.
            throw new BatonConnectionException($"cannot reach Baton cluster '{options.ClusterId}' at {where} ({ConnectionFailure.Cause([ex])})", ex);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.ConnectTimeout);
        try
        {
            await host.StartAsync(deadline.Token);
            return new BatonClient(host);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            await StopQuietlyAsync(host);
            var failures = retries.Failures.ToList();
            if (!deadline.IsCancellationRequested || ex is not OperationCanceledException)
            {
                failures.Add(ex);
            }

            var cause = failures.Count > 0
                ? ConnectionFailure.Cause(failures)
                : $"no answer within {options.ConnectTimeout.TotalSeconds:0.#}s";
            var inner = failures.Count switch { 0 => ex, 1 => failures[0], _ => new AggregateException(failures) };
            throw new BatonConnectionException($"cannot reach Baton cluster '{options.ClusterId}' at {where} ({cause})", inner);
        }
        catch
        {
            await StopQuietlyAsync(host);
            throw;
        }
    }

    /// <summary>Every silo the cluster's membership knows, active or not, with activation counts of the active ones.</summary>
    public Task<IReadOnlyList<SiloStatusRow>> GetClusterStatusAsync(CancellationToken ct = default)
        => ClusterStatus.QueryAsync(Grains, ct);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await StopQuietlyAsync(_host);
        }
    }

    private static IHost Build(BatonClientOptions options, ConnectRetryFilter retries, Action<HostApplicationBuilder>? configure)
    {
        // No default configuration sources or logging providers: the embedding application's
        // appsettings, environment and console belong to it, not to the client.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, ClientHostLifetime>();
        builder.UseOrleansClient(client =>
        {
            client.UseBaton(options);
            client.Services.AddSingleton<IClientConnectionRetryFilter>(retries);
            client.Configure<ConnectionOptions>(o =>
                o.OpenConnectionTimeout = options.ConnectTimeout < o.OpenConnectionTimeout ? options.ConnectTimeout : o.OpenConnectionTimeout);
        });
        configure?.Invoke(builder);
        return builder.Build();
    }

    private static async Task StopQuietlyAsync(IHost host)
    {
        try
        {
            using var stop = new CancellationTokenSource(StopTimeout);
            await host.StopAsync(stop.Token);
        }
        catch (Exception)
        {
            // A client that never connected, or a cluster already gone, has nothing left to close gracefully.
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }
}
