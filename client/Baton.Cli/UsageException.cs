namespace Baton.Cli;

/// <summary>A usage mistake found after parsing (an environment variable, a combination of options); exits with <see cref="ExitCodes.Usage"/>.</summary>
public sealed class UsageException(string message) : Exception(message);
