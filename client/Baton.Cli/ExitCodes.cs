namespace Baton.Cli;

/// <summary>What <c>baton</c> exits with, so scripts can tell a typo from an outage.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command ran and failed (the cluster answered with an error).</summary>
    public const int Failed = 1;

    /// <summary>The command line or its environment variables are not usable.</summary>
    public const int Usage = 2;

    /// <summary>No Baton cluster could be reached, or the connection was lost.</summary>
    public const int Unreachable = 3;

    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}
