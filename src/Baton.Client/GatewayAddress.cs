namespace Baton.Client;

/// <summary>Parses <c>host:port</c> gateway addresses from configuration.</summary>
public static class GatewayAddress
{
    public static bool TryParse(string text, out (string Host, int Port) address, out string error)
    {
        address = default;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' is not host:port.";
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            error = $"'{text}' has no port between 1 and 65535.";
            return false;
        }

        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            error = $"'{host}' is neither an IP address nor a host name.";
            return false;
        }

        address = (host, port);
        error = "";
        return true;
    }
}
