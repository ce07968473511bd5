using Baton.Cli;

namespace Baton.Tests.Cli;

/// <summary>One in-process run of <c>baton</c>: exit code and everything it wrote.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public IReadOnlyList<string> StderrLines =>
        Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();

    /// <summary>Runs the command line with no <c>Baton__*</c> environment, so only the arguments count.</summary>
    public static Task<CliRun> RunAsync(params string[] args) => RunWithEnvironmentAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs the command line with the given environment variables and no others.</summary>
    public static async Task<CliRun> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exitCode = await BatonCli.RunAsync(args, stdout, stderr, name => environment.GetValueOrDefault(name));
        return new CliRun(exitCode, stdout.ToString(), stderr.ToString());
    }
}
