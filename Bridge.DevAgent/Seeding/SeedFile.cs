using Bridge.DevAgent.Catalog;

namespace Bridge.DevAgent.Seeding;

/// <summary>
/// Contents of a <c>--seed</c> file: what to register at start-up, using the same JSON bodies as
/// Consul's write endpoints. Agent services land on the agent's node (with agent defaults, and TTL
/// checks that expire); catalog entries may name any node and are static.
/// <code>
/// {
///   "Services": [
///     { "ID": "web-1", "Name": "web", "Port": 8080, "Tags": ["v1"],
///       "Check": { "TTL": "10m", "Status": "passing" } }
///   ],
///   "Catalog": [
///     { "Node": "node-2", "Address": "10.0.0.2",
///       "Service": { "ID": "web-2", "Service": "web", "Port": 8080 },
///       "Checks": [ { "CheckID": "web-2-alive", "Name": "alive", "Status": "passing", "ServiceID": "web-2" } ] }
///   ]
/// }
/// </code>
/// </summary>
internal sealed record SeedFile
{
    /// <summary>Bodies of <c>PUT /v1/agent/service/register</c>.</summary>
    public IReadOnlyList<AgentServiceRegistration>? Services { get; init; }

    /// <summary>Bodies of <c>PUT /v1/catalog/register</c>.</summary>
    public IReadOnlyList<CatalogRegistration>? Catalog { get; init; }
}
