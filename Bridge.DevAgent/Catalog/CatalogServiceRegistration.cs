using System.Text.Json.Serialization;

namespace Bridge.DevAgent.Catalog;

/// <summary>The <c>Service</c> of a <see cref="CatalogRegistration"/> (Consul's <c>NodeService</c>).</summary>
public sealed record CatalogServiceRegistration
{
    /// <summary>Instance ID; defaults to <see cref="Service"/>.</summary>
    [JsonPropertyName("ID")]
    public string? Id { get; init; }

    /// <summary>Service name.</summary>
    public string? Service { get; init; }

    /// <summary>Tags, kept as given.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Instance address; empty means "use the node's address".</summary>
    public string? Address { get; init; }

    /// <summary>Extra addresses by tag (not filled in automatically on this path, as in Consul).</summary>
    public IReadOnlyDictionary<string, ServiceAddress>? TaggedAddresses { get; init; }

    /// <summary>Free-form metadata.</summary>
    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    /// <summary>Instance port: any 64-bit number (Consul checks no range for a typical service).</summary>
    public long Port { get; init; }

    /// <summary>Service kind; empty for a typical service.</summary>
    public string? Kind { get; init; }

    /// <summary>SRV weights; defaults to passing 1, warning 1.</summary>
    public ServiceWeights? Weights { get; init; }

    /// <summary>Whether anti-entropy may let the catalog override the tags.</summary>
    public bool EnableTagOverride { get; init; }
}
