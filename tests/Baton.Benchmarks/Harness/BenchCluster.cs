using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Baton.Client;
using Baton.Tests.Infrastructure;
using Npgsql;

namespace Baton.Benchmarks.Harness;

/// <summary>
/// What a benchmark measures against: a throwaway PostgreSQL (fsync on), silo processes in
/// Postgres mode on loopback, and a .NET client in this process that finds them through the
/// membership table.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly PostgresServer _postgres;
    private readonly List<Process> _silos;

    private BenchCluster(PostgresServer postgres, string database, List<Process> silos, BatonClient client)
    {
        _postgres = postgres;
        Database = database;
        _silos = silos;
        Client = client;
    }

    public string Database { get; }

    public BatonClient Client { get; }

    /// <summary>The process ids of the silos.</summary>
    public IEnumerable<int> SiloProcessIds() => _silos.Select(s => s.Id);

    /// <summary>CPU time the silo processes have used so far, for CPU-per-operation figures.</summary>
    public TimeSpan SiloCpuTime()
    {
        var total = TimeSpan.Zero;
        foreach (var silo in _silos)
        {
            silo.Refresh();
            total += silo.TotalProcessorTime;
        }

        return total;
    }

    /// <summary>
    /// CPU time PostgreSQL has used so far, from /proc (Linux; clock ticks taken as 1/100 s): the postmaster's own, that
    /// of its live children (backends and background processes), and that of its children that exited (the postmaster's
    /// cutime/cstime), so connections the pools closed meanwhile still count.
    /// </summary>
    public async Task<TimeSpan> PostgresCpuTimeAsync()
    {
        int backend;
        await using (var connection = new NpgsqlConnection(Database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
            backend = (int)(await command.ExecuteScalarAsync())!;
        }

        var postmaster = (int)Stat(backend)![1];
        var own = Stat(postmaster)!;
        var ticks = own[11] + own[12] + own[13] + own[14];
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Stat(pid) is { } child && child[1] == postmaster)
            {
                ticks += child[11] + child[12];
            }
        }

        return TimeSpan.FromMilliseconds(ticks * 10);

        // The numeric fields of /proc/<pid>/stat after the command name: [1] ppid, [11] utime, [12] stime,
        // [13] cutime, [14] cstime; null when the process is gone.
        static long[]? Stat(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..].Split(' ').Skip(1).Take(14)
                    .Select(f => long.TryParse(f, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0).Prepend(0).ToArray();
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    public static async Task<BenchCluster> StartAsync(int silos, IDictionary<string, string>? settings = null)
    {
        var postgres = await PostgresServer.StartAsync();
        var database = await postgres.CreateDatabaseAsync("bench");
        var processes = new List<Process>();
        var health = new List<int>();
        for (var i = 0; i < silos; i++)
        {
            var http = FreePort();
            health.Add(http);
            processes.Add(StartSilo(database, http, FreePort(), FreePort(), settings));
            if (i == 0)
            {
                // The first silo migrates the schema; the others join after it serves.
                await WaitHealthyAsync(http, processes[0]);
            }
        }

        for (var i = 1; i < silos; i++)
        {
            await WaitHealthyAsync(health[i], processes[i]);
        }

        var client = await BatonClient.ConnectAsync(
            new BatonClientOptions { Postgres = database, ConnectTimeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        return new BenchCluster(postgres, database, processes, client);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        foreach (var silo in _silos)
        {
            if (!silo.HasExited)
            {
                silo.Kill(entireProcessTree: true);
            }

            await silo.WaitForExitAsync();
        }

        await _postgres.DisposeAsync();
    }

    private static Process StartSilo(string database, int http, int siloPort, int gatewayPort, IDictionary<string, string>? settings)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Baton.Silo.dll"));
        info.Environment["Baton__Postgres"] = database;
        info.Environment["Baton__AdvertisedAddress"] = "127.0.0.1";
        info.Environment["Baton__SiloPort"] = siloPort.ToString();
        info.Environment["Baton__GatewayPort"] = gatewayPort.ToString();
        info.Environment["Baton__ApiKeys__0__Key"] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        info.Environment["Baton__ApiKeys__0__Principal"] = "bench";
        info.Environment["Baton__ApiKeys__0__Roles__0"] = "admin";
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{http}";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        // For experiments: BATON_BENCH_SILO_ENV="NAME=value;NAME=value" reaches the silo processes only, not this client.
        foreach (var pair in (Environment.GetEnvironmentVariable("BATON_BENCH_SILO_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var at = pair.IndexOf('=');
            info.Environment[pair[..at]] = pair[(at + 1)..];
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[silo:{http}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(int http, Process silo)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (silo.HasExited)
            {
                throw new InvalidOperationException($"The silo on HTTP port {http} exited with {silo.ExitCode}.");
            }

            try
            {
                if ((await client.GetAsync($"http://127.0.0.1:{http}/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"The silo on HTTP port {http} did not become healthy.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
