namespace Bridge.DevAgent.Catalog;

/// <summary>
/// Consul's checks of a service registration, each returning Consul's error text or null. Where a rule comes
/// from is named on each; everything not checked here (names, IDs, tags, addresses other than the wildcard ones,
/// ports of typical services, node fields) Consul accepts as any value of its type.
/// </summary>
internal static partial class ServiceValidation
{
    /// <summary>agent/structs/structs.go: <c>metaMaxKeyPairs</c>, <c>metaKeyMaxLength</c>, <c>metaValueMaxLength</c>.</summary>
    public const int MetaMaxPairs = 64;
    public const int MetaKeyMaxLength = 128;
    public const int MetaValueMaxLength = 512;
    public const string MetaReservedPrefix = "consul-";

    /// <summary>SRV weights are 16-bit: the largest weight <c>ValidateWeights</c> lets through.</summary>
    public const long MaxWeight = 65535;

    private const string WanFederationKey = "consul-wan-federation";

    /// <summary>structs.ValidateWeights.</summary>
    public static string? Weights(ServiceWeights weights)
    {
        if (weights.Passing < 1)
        {
            return "Passing must be greater than 0";
        }

        if (weights.Warning < 0)
        {
            return "Warning must be greater or equal than 0";
        }

        return weights.Passing > MaxWeight || weights.Warning > MaxWeight ? "DNS Weight must be between 0 and 65535" : null;
    }

    /// <summary>
    /// structs.ValidateServiceMetadata with <c>allowConsulPrefix = false</c> (the agent endpoint's call): at most 64
    /// pairs; keys non-blank, of <c>[a-zA-Z0-9_-]</c>, at most 128 characters, not starting <c>consul-</c> (a mesh
    /// gateway may use <c>consul-wan-federation</c>); values at most 512 bytes. The server's catalog endpoint checks none of it.
    /// </summary>
    public static string? Meta(string? kind, IReadOnlyDictionary<string, string>? meta)
    {
        if (meta is null)
        {
            return null;
        }

        if (meta.Count > MetaMaxPairs)
        {
            return $"Node metadata cannot contain more than {MetaMaxPairs} key/value pairs";
        }

        foreach (var (key, value) in meta)
        {
            if (MetaPair(kind, key, value) is { } problem)
            {
                return $"Couldn't load metadata pair ('{key}', '{value}'): {problem}";
            }
        }

        return null;
    }

    /// <summary>
    /// The part of NodeService.Validate that applies to what the dev agent models: proxies and non-ingress gateways
    /// need a port. (It keeps no proxy configuration, so it does not ask a connect-proxy for
    /// <c>Proxy.DestinationServiceName</c> as Consul does.) Formatted as go-multierror does.
    /// </summary>
    public static string? Kind(string? kind, long port)
    {
        var problem = kind switch
        {
            "connect-proxy" when port == 0 => $"Port or SocketPath must be set for a {kind}",
            "mesh-gateway" or "terminating-gateway" when port == 0 => $"Port must be non-zero for a {kind}",
            _ => null,
        };
        return problem is null ? null : $"1 error occurred:\n\t* {problem}\n\n";
    }

    /// <summary>
    /// agent.validateService: <c>lan_ipv4</c>/<c>wan_ipv4</c> must be IPv4 and <c>lan_ipv6</c> IPv6 (as Go parses them).
    /// Consul checks <c>lan_ipv6</c> twice and <c>wan_ipv6</c> never, so <c>wan_ipv6</c> takes anything.
    /// </summary>
    public static string? TaggedAddresses(IReadOnlyDictionary<string, ServiceAddress>? tagged)
    {
        if (tagged is null)
        {
            return null;
        }

        foreach (var key in new[] { "lan_ipv4", "wan_ipv4" })
        {
            if (tagged.TryGetValue(key, out var address) && GoIp.FamilyOf(address.Address) != AddressFamily.InterNetwork)
            {
                return $"Service tagged address \"{key}\" must be a valid ipv4 address";
            }
        }

        if (tagged.TryGetValue("lan_ipv6", out var v6) && GoIp.FamilyOf(v6.Address) != AddressFamily.InterNetworkV6)
        {
            return "Service tagged address \"lan_ipv6\" must be a valid ipv6 address";
        }

        return null;
    }

    // structs.validateMetaPair, in its order.
    private static string? MetaPair(string? kind, string key, string value)
    {
        if (key.Length == 0)
        {
            return "Key cannot be blank";
        }

        if (!MetaKeyFormat().IsMatch(key))
        {
            return "Key contains invalid characters";
        }

        if (key.Length > MetaKeyMaxLength)
        {
            return $"Key is too long (limit: {MetaKeyMaxLength} characters)";
        }

        if (key.StartsWith(MetaReservedPrefix, StringComparison.Ordinal) && !(kind == "mesh-gateway" && key == WanFederationKey))
        {
            return $"Key prefix '{MetaReservedPrefix}' is reserved for internal use";
        }

        // Go's len() counts bytes, not characters.
        return Encoding.UTF8.GetByteCount(value) > MetaValueMaxLength
            ? $"Value is too long (limit: {MetaValueMaxLength} characters)"
            : null;
    }

    // Go's $ is the end of the text; .NET's would also match before a final newline.
    [GeneratedRegex(@"^[a-zA-Z0-9_-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex MetaKeyFormat();
}
