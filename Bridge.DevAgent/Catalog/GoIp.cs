namespace Bridge.DevAgent.Catalog;

/// <summary>
/// Go's <c>net.ParseIP</c> followed by <c>To4() != nil</c>, which is how Consul tells an IPv4 address from an
/// IPv6 one (agent/agent.go <c>addServiceInternal</c>, <c>validateService</c>). Stricter than
/// <see cref="IPAddress.TryParse(string, out IPAddress)"/>: no short or octal IPv4 forms ("10.1", "010.0.0.1"),
/// no zones ("fe80::1%eth0"), no brackets; an IPv4-mapped IPv6 address ("::ffff:10.0.0.1") counts as IPv4.
/// </summary>
internal static class GoIp
{
    /// <summary>The family Consul sees, or null when Go cannot parse the text as an IP.</summary>
    public static AddressFamily? FamilyOf(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!text.Contains(':', StringComparison.Ordinal))
        {
            return IsDottedQuad(text) ? AddressFamily.InterNetwork : null;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiHexDigit(c) || c is ':' or '.'))
            {
                return null;
            }
        }

        var lastColon = text.LastIndexOf(':');
        if (text.IndexOf('.', StringComparison.Ordinal) is var dot && dot >= 0 && (dot < lastColon || !IsDottedQuad(text[(lastColon + 1)..])))
        {
            return null;
        }

        foreach (var group in text.Split(':'))
        {
            if (group.Length > 4 && !group.Contains('.', StringComparison.Ordinal))
            {
                return null;
            }
        }

        if (!IPAddress.TryParse(text, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        return ip.IsIPv4MappedToIPv6 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
    }

    // netip.parseIPv4: four decimal fields of 1-3 digits, each at most 255, no leading zero.
    private static bool IsDottedQuad(string text)
    {
        var fields = text.Split('.');
        if (fields.Length != 4)
        {
            return false;
        }

        foreach (var field in fields)
        {
            if (field.Length is 0 or > 3 || (field.Length > 1 && field[0] == '0') || !field.All(char.IsAsciiDigit)
                || int.Parse(field, NumberStyles.None, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return true;
    }
}
