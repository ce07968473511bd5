namespace Baton.Tests.Postgres;

/// <summary>
/// The query keys and the parameters Orleans 10.4.2 binds for each, as written down in
/// <c>shared/design/orleans-adonet-contract.md</c>. A query may use only its key's parameters:
/// Npgsql leaves an unbound <c>@Name</c> in the SQL and the server rejects it.
/// </summary>
internal static class OrleansContract
{
    private static readonly string[] SiloAddress = ["Address", "Port", "Generation"];

    private static readonly string[] GrainIdentity =
        ["GrainIdHash", "GrainIdN0", "GrainIdN1", "GrainTypeHash", "GrainTypeString", "GrainIdExtensionString", "ServiceId"];

    public static IReadOnlyDictionary<string, string[]> BoundParameters { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // Clustering (silos and clients)
        ["InsertMembershipVersionKey"] = ["DeploymentId"],
        ["MembershipReadAllKey"] = ["DeploymentId"],
        ["MembershipReadRowKey"] = ["DeploymentId", .. SiloAddress],
        ["InsertMembershipKey"] = ["DeploymentId", .. SiloAddress, "SiloName", "HostName", "Status", "ProxyPort", "StartTime", "IAmAliveTime", "Version"],
        ["UpdateMembershipKey"] = ["DeploymentId", .. SiloAddress, "Status", "SuspectTimes", "IAmAliveTime", "Version"],
        ["UpdateIAmAlivetimeKey"] = ["DeploymentId", .. SiloAddress, "IAmAliveTime"],
        ["GatewaysQueryKey"] = ["DeploymentId", "Status"],
        ["DeleteMembershipTableEntriesKey"] = ["DeploymentId"],
        ["CleanupDefunctSiloEntriesKey"] = ["DeploymentId", "IAmAliveTime"],
        ["CleanupDefunctSiloEntryKey"] = ["DeploymentId", .. SiloAddress, "SuspectTimes", "StartTime", "IAmAliveTime"],

        // Persistence
        ["ReadFromStorageKey"] = GrainIdentity,
        ["WriteToStorageKey"] = [.. GrainIdentity, "GrainStateVersion", "PayloadBinary"],
        ["ClearStorageKey"] = [.. GrainIdentity, "GrainStateVersion"],
        ["DeleteStorageKey"] = [.. GrainIdentity, "GrainStateVersion"],

        // Reminders
        ["ReadReminderRowsKey"] = ["ServiceId", "GrainId"],
        ["ReadReminderRowKey"] = ["ServiceId", "GrainId", "ReminderName"],
        ["ReadRangeRows1Key"] = ["ServiceId", "BeginHash", "EndHash"],
        ["ReadRangeRows2Key"] = ["ServiceId", "BeginHash", "EndHash"],
        ["UpsertReminderRowKey"] = ["ServiceId", "GrainId", "ReminderName", "StartTime", "Period", "GrainHash"],
        ["DeleteReminderRowKey"] = ["ServiceId", "GrainId", "ReminderName", "Version"],
        ["DeleteReminderRowsKey"] = ["ServiceId"],
    };

    /// <summary>Every key the three providers look up (including the optional per-row cleanup).</summary>
    public static IReadOnlyCollection<string> Keys => [.. BoundParameters.Keys];

    public const int ActiveStatus = 3;

    public const int DeadStatus = 6;
}
