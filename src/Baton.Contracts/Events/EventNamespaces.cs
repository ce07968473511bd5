namespace Baton.Contracts;

/// <summary>
/// The stream namespaces of Baton events on provider <see cref="BatonStreams.Provider"/>. A stream
/// is (namespace, subject): every event about one subject travels on one stream, in order.
/// </summary>
public static class EventNamespaces
{
    public const string Locks = "locks";

    public const string Intents = "intents";

    public const string Entities = "entities";

    public const string Deliveries = "deliveries";

    public const string Sync = "sync";

    public const string Runs = "runs";

    public static IReadOnlyList<string> All { get; } = [Locks, Intents, Entities, Deliveries, Sync, Runs];
}
