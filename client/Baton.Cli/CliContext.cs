using System.CommandLine;
using Baton.Client;
using Spectre.Console;

namespace Baton.Cli;

/// <summary>What every command needs: where to write, and how to reach the cluster.</summary>
public sealed class CliContext
{
    public CliContext(TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        Out = stdout;
        Error = stderr;
        Environment = environment;
        Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
    }

    /// <summary>Plain standard output, for machine-readable documents.</summary>
    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>Standard output for people: tables and colour when it is a terminal.</summary>
    public IAnsiConsole Console { get; }

    public Func<string, string?> Environment { get; }

    public ConnectionSettings Connection { get; } = new();

    public async Task<BatonClient> ConnectAsync(ParseResult parse, CancellationToken ct)
    {
        var options = Connection.Resolve(parse, Environment);
        if (options.Gateways.Count > 1)
        {
            var reachable = await GatewayProbe.ReachableAsync(options.Gateways, options.ConnectTimeout, ct);
            options.Gateways.Clear();
            options.Gateways.AddRange(reachable);
        }

        try
        {
            return await BatonClient.ConnectAsync(options, ct);
        }
        catch (ArgumentException ex)
        {
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            throw new UsageException(message);
        }
    }
}
