namespace Baton.Client;

/// <summary>
/// No Baton cluster could be reached. The message is one line meant for a person as it is: where
/// the client looked (gateways, or the membership table's server, never its password) and why it failed.
/// </summary>
public sealed class BatonConnectionException(string message, Exception? inner = null) : Exception(message, inner);
