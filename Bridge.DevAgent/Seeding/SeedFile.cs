using Bridge.DevAgent.Catalog;

namespace Bridge.DevAgent.Seeding;

/// <summary>
/// Contents of a <c>--seed</c> file: what to register at start-up, using the same JSON bodies as Consul's write
/// endpoints. Agent services land on the agent's node (with agent defaults, and TTL checks that expire); catalog
/// entries may name any node, and any datacenter the agent serves with <c>Datacenter</c>; config entries are the bodies
/// of <c>PUT /v1/config</c>, written in order into the primary datacenter (so <c>service-defaults</c> that give a router
/// its protocol come before the router).
/// <code>
/// {
///   "Datacenters": [ "dc2" ],
///   "Services": [
///     { "ID": "web-1", "Name": "web", "Port": 8080, "Tags": ["v1"],
///       "Check": { "TTL": "10m", "Status": "passing" } }
///   ],
///   "Catalog": [
///     { "Node": "node-2", "Address": "10.0.0.2", "Datacenter": "dc2",
///       "TaggedAddresses": { "wan": "203.0.113.2", "wan_ipv4": "203.0.113.2" },
///       "Service": { "ID": "web-2", "Service": "web", "Port": 8080 },
///       "Checks": [ { "CheckID": "web-2-alive", "Name": "alive", "Status": "passing", "ServiceID": "web-2" } ] }
///   ],
///   "ConfigEntries": [
///     { "Kind": "service-defaults", "Name": "web", "Protocol": "http" },
///     { "Kind": "service-resolver", "Name": "web", "Failover": { "*": { "Datacenters": [ "dc2" ] } } }
///   ]
/// }
/// </code>
/// </summary>
internal sealed record SeedFile
{
    /// <summary>Datacenters to serve besides those the agent was started with, farthest last.</summary>
    public IReadOnlyList<string>? Datacenters { get; init; }

    /// <summary>Bodies of <c>PUT /v1/agent/service/register</c>.</summary>
    public IReadOnlyList<AgentServiceRegistration>? Services { get; init; }

    /// <summary>Bodies of <c>PUT /v1/catalog/register</c>.</summary>
    public IReadOnlyList<CatalogRegistration>? Catalog { get; init; }

    /// <summary>Bodies of <c>PUT /v1/config</c>.</summary>
    public IReadOnlyList<JsonElement>? ConfigEntries { get; init; }
}
