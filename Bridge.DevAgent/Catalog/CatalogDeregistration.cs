namespace Bridge.DevAgent.Catalog;

/// <summary>
/// The body of <c>PUT /v1/catalog/deregister</c>: with only <see cref="Node"/> the node and
/// everything on it goes; otherwise the given service (with its checks) or check.
/// </summary>
public sealed record CatalogDeregistration
{
    /// <summary>Node name (required).</summary>
    public string? Node { get; init; }

    /// <summary>Datacenter; empty means the agent's.</summary>
    public string? Datacenter { get; init; }

    /// <summary>Service instance to remove.</summary>
    [JsonPropertyName("ServiceID")]
    public string? ServiceId { get; init; }

    /// <summary>Check to remove.</summary>
    [JsonPropertyName("CheckID")]
    public string? CheckId { get; init; }
}
