namespace Bridge.DevAgent.Catalog;

/// <summary>
/// What both ways of registering a service carry (Consul's <c>AgentServiceRegistration</c> and <c>NodeService</c>):
/// everything but the name, whose field they call differently, and the checks, which only the agent's takes inline.
/// </summary>
public abstract record ServiceRegistrationFields
{
    /// <summary>Instance ID, unique on the node; defaults to the service name.</summary>
    [JsonPropertyName("ID")]
    public string? Id { get; init; }

    /// <summary>Tags, kept as given (not de-duplicated).</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Instance address; empty means "use the node's address".</summary>
    public string? Address { get; init; }

    /// <summary>
    /// Extra addresses by tag. The agent's endpoint fills in <c>lan_ipv4</c>/<c>wan_ipv4</c> (or v6) from an IP
    /// <see cref="Address"/>; the catalog's does not, as in Consul.
    /// </summary>
    public IReadOnlyDictionary<string, ServiceAddress>? TaggedAddresses { get; init; }

    /// <summary>Free-form metadata.</summary>
    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    /// <summary>Instance port: any 64-bit number (Consul checks no range for a typical service).</summary>
    public long Port { get; init; }

    /// <summary>Service kind, e.g. <c>connect-proxy</c>; empty for a typical service.</summary>
    public string? Kind { get; init; }

    /// <summary>SRV weights; defaults to passing 1, warning 1.</summary>
    public ServiceWeights? Weights { get; init; }

    /// <summary>Whether anti-entropy may let the catalog override the tags.</summary>
    public bool EnableTagOverride { get; init; }
}
