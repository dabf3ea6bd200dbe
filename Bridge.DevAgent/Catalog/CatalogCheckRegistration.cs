namespace Bridge.DevAgent.Catalog;

/// <summary>A check of a <see cref="CatalogRegistration"/> (Consul's <c>HealthCheck</c>).</summary>
public sealed record CatalogCheckRegistration
{
    /// <summary>Check ID; defaults to <see cref="Name"/>.</summary>
    [JsonPropertyName("CheckID")]
    public string? CheckId { get; init; }

    /// <summary>Check name.</summary>
    public string? Name { get; init; }

    /// <summary>Status; any string is stored as given, and an empty one becomes <c>critical</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Human-readable notes.</summary>
    public string? Notes { get; init; }

    /// <summary>Last output.</summary>
    public string? Output { get; init; }

    /// <summary>Service instance on the same node the check belongs to; empty for a node-level check.</summary>
    [JsonPropertyName("ServiceID")]
    public string? ServiceId { get; init; }

    /// <summary>Check type shown to readers (<c>ttl</c>, <c>http</c>, ...).</summary>
    public string? Type { get; init; }
}
