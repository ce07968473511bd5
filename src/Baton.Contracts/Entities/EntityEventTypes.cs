namespace Baton.Contracts.Entities;

/// <summary>
/// The event types an entity publishes on stream namespace <see cref="EventNamespaces.Entities"/>, subject
/// <c>kind/id</c>. Every real change publishes <see cref="Changed"/> and then its trigger events.
/// </summary>
/// <remarks>
/// <para><c>entity.changed</c> payload (snake_case JSON, secrets masked):
/// <c>{ kind, id, prev, next, delta, changed_fields, actor, occurred_at, change_id, version }</c>. <c>prev</c> and
/// <c>next</c> are the whole states (null when absent: <c>prev</c> on creation, <c>next</c> on removal);
/// <c>delta</c> maps each changed field to <c>{ from, to }</c>, omitting <c>from</c> for an added field and
/// <c>to</c> for a removed one; a removal has an empty delta and no changed fields.</para>
/// <para>Trigger payload: <c>{ kind, id, name?, changed_fields, version, change_id, actor, occurred_at }</c>, plus
/// <c>rule: { field, op, value }</c>, <c>from</c> and <c>to</c> for a field rule. <c>name</c> is the state's
/// top-level <c>name</c> string when it has one and it is not secret.</para>
/// </remarks>
public static class EntityEventTypes
{
    public const string Changed = "entity.changed";

    public static string Created(string kind) => $"{kind}.created";

    public static string Updated(string kind) => $"{kind}.updated";

    public static string Deleted(string kind) => $"{kind}.deleted";

    /// <summary>The type of a field rule's event: <c>&lt;kind&gt;.&lt;event&gt;</c>.</summary>
    public static string Rule(string kind, string eventName) => $"{kind}.{eventName}";
}
