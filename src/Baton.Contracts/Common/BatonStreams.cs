namespace Baton.Contracts;

/// <summary>Names shared by every grain and client that publishes or reads Baton events.</summary>
public static class BatonStreams
{
    /// <summary>The stream provider: memory streams in dev mode, the durable PostgreSQL queue in Postgres mode.</summary>
    public const string Provider = "baton";
}
