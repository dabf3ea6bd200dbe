using System.Text.Json.Serialization;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// A service registered on the agent's own node: the body of <c>PUT /v1/agent/service/register</c>.
/// Field names are Consul's; JSON is matched case-insensitively as Consul's decoder does.
/// </summary>
public sealed record AgentServiceRegistration
{
    /// <summary>Instance ID, unique on the node; defaults to <see cref="Name"/>.</summary>
    [JsonPropertyName("ID")]
    public string? Id { get; init; }

    /// <summary>Service name (required).</summary>
    public string? Name { get; init; }

    /// <summary>Tags, kept as given (not de-duplicated).</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Instance address; empty means "use the node's address".</summary>
    public string? Address { get; init; }

    /// <summary>Extra addresses by tag; <c>lan_ipv4</c>/<c>wan_ipv4</c> (or v6) are filled in from an IP <see cref="Address"/>.</summary>
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

    /// <summary>A single check; registered before <see cref="Checks"/>.</summary>
    public AgentCheckRegistration? Check { get; init; }

    /// <summary>Further checks.</summary>
    public IReadOnlyList<AgentCheckRegistration>? Checks { get; init; }
}
