using System.Net;

namespace Bridge.DevAgent.Catalog;

internal static class Addresses
{
    /// <summary>Consul's <c>ipaddr.IsAny</c>: a wildcard address is never a valid service address.</summary>
    public static bool IsAny(string address)
    {
        var trimmed = address.Trim('[', ']');
        return IPAddress.TryParse(trimmed, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));
    }
}
