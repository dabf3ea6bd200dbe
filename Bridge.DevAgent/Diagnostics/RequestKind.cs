namespace Bridge.DevAgent.Diagnostics;

/// <summary>What a request path asks for, for counting.</summary>
internal enum RequestKind
{
    CatalogServices,
    CatalogService,
    CatalogNodes,
    CatalogDatacenters,
    CatalogWrite,
    HealthService,
    HealthState,
    AgentWrite,
    AgentSelf,
    Status,
    DevControl,
    Other,
}

internal static class RequestKinds
{
    public static RequestKind Of(string path) => path switch
    {
        "/v1/catalog/services" => RequestKind.CatalogServices,
        "/v1/catalog/nodes" => RequestKind.CatalogNodes,
        "/v1/catalog/datacenters" => RequestKind.CatalogDatacenters,
        "/v1/catalog/register" or "/v1/catalog/deregister" => RequestKind.CatalogWrite,
        "/v1/agent/self" => RequestKind.AgentSelf,
        _ when path.StartsWith("/v1/catalog/service/", StringComparison.Ordinal) => RequestKind.CatalogService,
        _ when path.StartsWith("/v1/health/service/", StringComparison.Ordinal) => RequestKind.HealthService,
        _ when path.StartsWith("/v1/health/state/", StringComparison.Ordinal) => RequestKind.HealthState,
        _ when path.StartsWith("/v1/agent/", StringComparison.Ordinal) => RequestKind.AgentWrite,
        _ when path.StartsWith("/v1/status/", StringComparison.Ordinal) => RequestKind.Status,
        _ when path.StartsWith("/_dev/", StringComparison.Ordinal) => RequestKind.DevControl,
        _ => RequestKind.Other,
    };
}
