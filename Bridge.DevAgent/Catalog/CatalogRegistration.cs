namespace Bridge.DevAgent.Catalog;

/// <summary>
/// A direct catalog write on any node: the body of <c>PUT /v1/catalog/register</c>
/// (Consul's <c>RegisterRequest</c>). Catalog checks are static: nothing expires or probes them.
/// </summary>
public sealed record CatalogRegistration
{
    /// <summary>Node ID (a UUID), optional.</summary>
    [JsonPropertyName("ID")]
    public string? Id { get; init; }

    /// <summary>Node name (required).</summary>
    public string? Node { get; init; }

    /// <summary>Node address (required unless <see cref="SkipNodeUpdate"/>).</summary>
    public string? Address { get; init; }

    /// <summary>Datacenter; empty means the agent's.</summary>
    public string? Datacenter { get; init; }

    /// <summary>Node tagged addresses (<c>lan</c>, <c>wan</c>, ...).</summary>
    public IReadOnlyDictionary<string, string>? TaggedAddresses { get; init; }

    /// <summary>Node metadata.</summary>
    public IReadOnlyDictionary<string, string>? NodeMeta { get; init; }

    /// <summary>A service instance to put on the node.</summary>
    public CatalogServiceRegistration? Service { get; init; }

    /// <summary>A single check.</summary>
    public CatalogCheckRegistration? Check { get; init; }

    /// <summary>Further checks.</summary>
    public IReadOnlyList<CatalogCheckRegistration>? Checks { get; init; }

    /// <summary>Leave an existing node's fields as they are.</summary>
    public bool SkipNodeUpdate { get; init; }
}
