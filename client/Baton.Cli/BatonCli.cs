using System.CommandLine;
using Baton.Cli.Commands;
using Baton.Client;
using Orleans.Runtime;

namespace Baton.Cli;

/// <summary>
/// The <c>baton</c> command line. Every failure ends as one line on standard error and an
/// exit code from <see cref="ExitCodes"/>; no stack trace reaches the user.
/// </summary>
public static class BatonCli
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
        => RunAsync(args, stdout, stderr, System.Environment.GetEnvironmentVariable, ct);

    /// <param name="environment">Reads an environment variable; tests pass their own.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, CancellationToken ct = default)
    {
        var cli = new CliContext(stdout, stderr, environment);
        var root = CreateRootCommand(cli);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            return Fail(stderr, ExitCodes.Usage, $"{string.Join(" ", parse.Errors.Select(e => e.Message))} See 'baton --help'.");
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                // Ctrl+C or SIGTERM cancels the command's token, then ends the process if it has not stopped within this time.
                ProcessTerminationTimeout = TimeSpan.FromSeconds(2),
            }, ct);
        }
        catch (UsageException ex)
        {
            return Fail(stderr, ExitCodes.Usage, ex.Message);
        }
        catch (BatonConnectionException ex)
        {
            return Fail(stderr, ExitCodes.Unreachable, ex.Message);
        }
        catch (SiloUnavailableException ex)
        {
            return Fail(stderr, ExitCodes.Unreachable, $"lost the connection to the cluster ({ex.Message})");
        }
        catch (OperationCanceledException)
        {
            return Fail(stderr, ExitCodes.Interrupted, "interrupted.");
        }
        catch (Exception ex)
        {
            return Fail(stderr, ExitCodes.Failed, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>The command tree. A command group is one file under <c>Commands/</c>, added here.</summary>
    public static RootCommand CreateRootCommand(CliContext cli)
    {
        var root = new RootCommand("baton: look at and operate a Baton cluster.");
        foreach (var option in cli.Connection.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(ClusterCommands.Create(cli));
        EntityCommands.Create(cli).ToList().ForEach(root.Subcommands.Add);
        root.Subcommands.Add(LockCommands.Create(cli));
        IntentCommands.Create(cli).ToList().ForEach(root.Subcommands.Add);
        return root;
    }

    private static int Fail(TextWriter stderr, int exitCode, string message)
    {
        var line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        stderr.WriteLine($"baton: {line}");
        stderr.Flush();
        return exitCode;
    }
}
