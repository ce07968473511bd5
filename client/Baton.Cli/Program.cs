namespace Baton.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args) => BatonCli.RunAsync(args, Console.Out, Console.Error);
}
