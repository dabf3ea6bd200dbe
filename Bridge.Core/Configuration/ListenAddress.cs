namespace Bridge.Core.Configuration;

/// <summary>Parses <c>host:port</c> listen settings; the host must be an IP literal so the bind is unambiguous.</summary>
public static class ListenAddress
{
    public static bool TryParse(string? text, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (string.IsNullOrWhiteSpace(text) || !IPEndPoint.TryParse(text, out var parsed))
        {
            return false;
        }

        // IPEndPoint.TryParse accepts a bare number as an address; insist on an explicit port.
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return false;
        }

        endpoint = parsed;
        return true;
    }
}
