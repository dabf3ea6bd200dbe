namespace Bridge.DevAgent.Catalog;

/// <summary>The <c>Service</c> of a <see cref="CatalogRegistration"/> (Consul's <c>NodeService</c>).</summary>
public sealed record CatalogServiceRegistration : ServiceRegistrationFields
{
    /// <summary>Service name.</summary>
    public string? Service { get; init; }
}
