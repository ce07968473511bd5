using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Baton.Tests.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL server for tests: initdb into a temp directory, start on a free
/// 127.0.0.1 port, stop and delete on dispose. fsync stays on so behaviour matches production.
/// </summary>
/// <remarks>
/// initdb refuses to run as root, so under uid 0 every server command runs as the
/// <c>postgres</c> user through <c>runuser</c> (or <c>su</c>). A server whose test process died
/// without cleaning up is stopped and removed by the next <see cref="StartAsync"/>.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string DirectoryPrefix = "baton-pg-";
    private const string OwnerFile = "owner.pid";
    private const string ServiceUser = "postgres";
    private const string InstallHint = "install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql), or set BATON_PG_BIN to the directory holding initdb and pg_ctl";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    private static readonly string? RunUser = new[] { "/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser" }.FirstOrDefault(File.Exists);

    private readonly string _binDirectory;
    private readonly string _rootDirectory;
    private readonly bool _runAsServiceUser;
    private readonly EventHandler _onProcessExit;
    private int _stopped;

    private PostgresServer(string binDirectory, string rootDirectory, bool runAsServiceUser, int port)
    {
        _binDirectory = binDirectory;
        _rootDirectory = rootDirectory;
        _runAsServiceUser = runAsServiceUser;
        Port = port;
        AdminConnectionString = ConnectionString("postgres");
        _onProcessExit = (_, _) => StopAndDelete();
    }

    /// <summary>The TCP port the server listens on (127.0.0.1 only).</summary>
    public int Port { get; }

    /// <summary>Superuser connection to the <c>postgres</c> maintenance database.</summary>
    public string AdminConnectionString { get; }

    private string DataDirectory => Path.Combine(_rootDirectory, "data");

    private string LogFile => Path.Combine(_rootDirectory, "server.log");

    /// <summary>Creates, configures and starts a new server. Throws when PostgreSQL is not installed.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var binDirectory = FindBinDirectory();
        var runAsServiceUser = Environment.IsPrivilegedProcess;
        if (runAsServiceUser && !ServiceUserExists())
        {
            throw new InvalidOperationException(
                $"Tests run as root, and initdb refuses root, but there is no '{ServiceUser}' user to run PostgreSQL as; {InstallHint}.");
        }

        await RemoveAbandonedServersAsync(binDirectory, runAsServiceUser);

        var root = Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;
        await File.WriteAllTextAsync(Path.Combine(root, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            StartWatchdog(binDirectory, root, runAsServiceUser);
            if (runAsServiceUser)
            {
                await RunAsync("chown", [$"{ServiceUser}:", root], asServiceUser: false);
            }

            var data = Path.Combine(root, "data");
            await RunAsync(
                Path.Combine(binDirectory, "initdb"),
                ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                runAsServiceUser);

            // Appended by us (root or not) and read by the server, so the file must stay readable. BATON_TEST_POSTGRES_CONF adds
            // settings for profiling, ';'-separated (e.g. shared_preload_libraries = 'pg_stat_statements').
            await File.AppendAllTextAsync(
                Path.Combine(data, "postgresql.conf"),
                $"""

                # Baton test server
                listen_addresses = '127.0.0.1'
                unix_socket_directories = '{root}'
                max_connections = 300
                shared_buffers = 128MB
                timezone = 'UTC'
                log_min_messages = warning
                {Environment.GetEnvironmentVariable("BATON_TEST_POSTGRES_CONF")?.Replace(";", "\n")}

                """);

            // The port is free when we pick it but may be taken before the server binds it
            // (other test runs share the machine), so a failed start retries with a new one.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort();
                var server = new PostgresServer(binDirectory, root, runAsServiceUser, port);
                var started = await RunAsync(
                    Path.Combine(binDirectory, "pg_ctl"),
                    ["start", "-w", "-t", "60", "-D", data, "-l", server.LogFile, "-o", $"-p {port}"],
                    runAsServiceUser,
                    throwOnFailure: false);
                if (started.ExitCode == 0)
                {
                    AppDomain.CurrentDomain.ProcessExit += server._onProcessExit;
                    return server;
                }

                if (attempt == 3)
                {
                    throw new InvalidOperationException(
                        $"pg_ctl start failed {attempt} times; last attempt: {started.Output}\nServer log:\n{TailOf(server.LogFile)}");
                }
            }
        }
        catch
        {
            // pg_ctl -w can time out while the server still comes up; do not leave it running.
            StopServer(binDirectory, Path.Combine(root, "data"), runAsServiceUser);
            TryDelete(root);
            throw;
        }
    }

    /// <summary>
    /// Creates an empty database and returns a pooled connection string for it (user postgres,
    /// trust authentication, error detail on).
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= "baton_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(name)}", connection);
        await create.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        NpgsqlConnection.ClearAllPools();
        StopAndDelete();
        return ValueTask.CompletedTask;
    }

    private string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        MaxPoolSize = 40,
        // Many small databases share max_connections; idle connections go back quickly.
        ConnectionIdleLifetime = 10,
        ConnectionPruningInterval = 5,
        IncludeErrorDetail = true,
        Timeout = 30,
    }.ConnectionString;

    /// <summary>Synchronous on purpose: it also runs from ProcessExit, where nothing may be awaited.</summary>
    private void StopAndDelete()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        StopServer(_binDirectory, DataDirectory, _runAsServiceUser);
        TryDelete(_rootDirectory);
    }

    /// <summary>
    /// ProcessExit does not run when the test process crashes or is killed, and the test host may
    /// be torn down before a ProcessExit handler finishes. So a detached shell outlives us, waits
    /// for this process to end, then stops the server and deletes its directory. It also ends by
    /// itself once <see cref="DisposeAsync"/> has deleted the directory. It starts before initdb,
    /// so a crash at any point after the directory exists is covered. Deleting retries because
    /// an initdb orphaned by the crash may still be writing into the directory.
    /// </summary>
    private static void StartWatchdog(string binDirectory, string rootDirectory, bool runAsServiceUser)
    {
        var data = Path.Combine(rootDirectory, "data");
        var stop = ShellCommand(Path.Combine(binDirectory, "pg_ctl"), ["stop", "-w", "-m", "immediate", "-D", data], runAsServiceUser);
        var script =
            $"""
            exec </dev/null >/dev/null 2>&1
            while kill -0 {Environment.ProcessId} 2>/dev/null && [ -d {ShellQuote(rootDirectory)} ]; do sleep 1; done
            if [ -f {ShellQuote(Path.Combine(data, "postmaster.pid"))} ]; then {stop}; fi
            for attempt in 1 2 3 4 5 6 7 8 9 10; do
              rm -rf {ShellQuote(rootDirectory)}
              [ -d {ShellQuote(rootDirectory)} ] || break
              sleep 1
            done
            """;

        // setsid -f forks into a new session, so the watchdog is not part of our process tree
        // and survives a test host that is killed together with its children.
        var start = new ProcessStartInfo
        {
            FileName = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : "/bin/sh",
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (start.FileName.EndsWith("setsid", StringComparison.Ordinal))
        {
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add("/bin/sh");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var watchdog = Process.Start(start) ?? throw new InvalidOperationException("Cannot start the PostgreSQL watchdog shell.");
        watchdog.StandardInput.Close();
    }

    private static void StopServer(string binDirectory, string dataDirectory, bool runAsServiceUser)
    {
        if (!File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            return;
        }

        // Immediate: the data is thrown away, so there is nothing to shut down cleanly for.
        RunAsync(Path.Combine(binDirectory, "pg_ctl"), ["stop", "-w", "-m", "immediate", "-D", dataDirectory], runAsServiceUser, throwOnFailure: false)
            .GetAwaiter()
            .GetResult();
    }

    private static async Task RemoveAbandonedServersAsync(string binDirectory, bool runAsServiceUser)
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            // A run writes its owner file right after creating the directory, so only an old
            // directory without one is abandoned; a young one may belong to a run starting now.
            var ownerFile = Path.Combine(directory, OwnerFile);
            var abandoned = File.Exists(ownerFile)
                ? int.TryParse(await File.ReadAllTextAsync(ownerFile), NumberStyles.None, CultureInfo.InvariantCulture, out var owner) && !IsAlive(owner)
                : DateTime.UtcNow - Directory.GetLastWriteTimeUtc(directory) > TimeSpan.FromMinutes(10);
            if (!abandoned)
            {
                continue;
            }

            StopServer(binDirectory, Path.Combine(directory, "data"), runAsServiceUser);
            TryDelete(directory);
        }
    }

    private static bool IsAlive(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("BATON_PG_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(directory, "initdb");
            if (File.Exists(initdb))
            {
                // Debian links initdb into PATH; pg_ctl must run from the real directory to find postgres.
                var target = File.ResolveLinkTarget(initdb, returnFinalTarget: true)?.FullName ?? initdb;
                candidates.Add(Path.GetDirectoryName(target)!);
            }
        }

        const string versioned = "/usr/lib/postgresql";
        if (Directory.Exists(versioned))
        {
            candidates.AddRange(Directory.EnumerateDirectories(versioned)
                .Select(d => (Directory: d, Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => d.Version >= 0)
                .OrderByDescending(d => d.Version)
                .Select(d => Path.Combine(d.Directory, "bin")));
        }

        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException(
                $"The PostgreSQL tests need initdb and pg_ctl, found neither on PATH nor in {versioned}/*/bin; {InstallHint}.");
    }

    private static bool ServiceUserExists()
        => File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(line => line.StartsWith(ServiceUser + ":", StringComparison.Ordinal));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, bool asServiceUser, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The postgres user cannot enter root's working directory.
            WorkingDirectory = Path.GetTempPath(),
        };

        if (asServiceUser && RunUser is not null)
        {
            start.FileName = RunUser;
            foreach (var argument in new[] { "-u", ServiceUser, "--", program }.Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }
        }
        else if (asServiceUser)
        {
            start.FileName = "su";
            foreach (var argument in new[] { "-s", "/bin/sh", ServiceUser, "-c", string.Join(' ', new[] { program }.Concat(arguments).Select(ShellQuote)) })
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start.FileName = program;
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {start.FileName}.");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within {CommandTimeout}.");
        }

        output.Append(await stdout).Append(await stderr);
        if (throwOnFailure && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output}");
        }

        return (process.ExitCode, output.ToString());
    }

    /// <summary>The same command <see cref="RunAsync"/> would run, as one line for /bin/sh.</summary>
    private static string ShellCommand(string program, IReadOnlyList<string> arguments, bool asServiceUser)
    {
        var command = string.Join(' ', new[] { program }.Concat(arguments).Select(ShellQuote));
        return !asServiceUser ? command
            : RunUser is not null ? $"{ShellQuote(RunUser)} -u {ServiceUser} -- {command}"
            : $"su -s /bin/sh {ServiceUser} -c {ShellQuote(command)}";
    }

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string TailOf(string file)
    {
        try
        {
            return string.Join('\n', File.ReadLines(file).TakeLast(30));
        }
        catch (IOException)
        {
            return "(no server log)";
        }
        catch (UnauthorizedAccessException)
        {
            return "(server log not readable)";
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A server that would not stop may still hold files; the next run's sweep retries.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
