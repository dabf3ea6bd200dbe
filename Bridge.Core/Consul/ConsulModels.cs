namespace Bridge.Core.Consul;

/// <summary>One element of <c>GET /v1/health/service/:service</c>: an instance with its node and checks.</summary>
public sealed record HealthServiceEntry
{
    public ConsulNode? Node { get; init; }
    public AgentService? Service { get; init; }
    public IReadOnlyList<HealthCheck>? Checks { get; init; }
}

/// <summary>The node part of a health entry.</summary>
public sealed record ConsulNode
{
    public string? ID { get; init; }
    public string? Node { get; init; }
    public string? Address { get; init; }
    public string? Datacenter { get; init; }
    public IReadOnlyDictionary<string, string>? TaggedAddresses { get; init; }
    public IReadOnlyDictionary<string, string>? Meta { get; init; }
}

/// <summary>The service part of a health entry.</summary>
public sealed record AgentService
{
    public string? ID { get; init; }
    public string? Service { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public string? Address { get; init; }
    public IReadOnlyDictionary<string, string>? Meta { get; init; }
    /// <summary>A Go <c>int</c> in Consul (64 bits), which accepts any value: range checks belong to translation.</summary>
    public long Port { get; init; }

    public ServiceWeights? Weights { get; init; }

    /// <summary>Addresses by tag, such as <c>lan_ipv4</c> or <c>wan</c>; another datacenter reaches the instance at its WAN one.</summary>
    public IReadOnlyDictionary<string, ServiceTaggedAddress>? TaggedAddresses { get; init; }

    public string? Kind { get; init; }
    public string? Namespace { get; init; }
}

/// <summary>Consul's per-instance weights; Consul's default is 1 for both, and any positive Go <c>int</c> is accepted.</summary>
public sealed record ServiceWeights
{
    public long Passing { get; init; } = 1;
    public long Warning { get; init; } = 1;
}

/// <summary>A tagged address of a service: Consul's <c>ServiceAddress</c>.</summary>
public sealed record ServiceTaggedAddress
{
    public string? Address { get; init; }
    public long Port { get; init; }
}

/// <summary>One check of a health entry; node-level checks have an empty <see cref="ServiceID"/>.</summary>
public sealed record HealthCheck
{
    public string? Node { get; init; }
    public string? CheckID { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Notes { get; init; }
    public string? ServiceID { get; init; }
    public string? ServiceName { get; init; }
}

/// <summary>The part of <c>GET /v1/agent/self</c> the bridge reads.</summary>
public sealed record AgentSelf
{
    public AgentSelfConfig? Config { get; init; }

    public AgentDebugConfig? DebugConfig { get; init; }
}

/// <summary>The agent's own identity; only its datacenter is read.</summary>
public sealed record AgentSelfConfig
{
    public string? Datacenter { get; init; }
}

/// <summary>The agent's sanitised runtime configuration; only the connection limit is read.</summary>
public sealed record AgentDebugConfig
{
    /// <summary><c>limits.http_max_conns_per_client</c>: connections one client address may hold; 0 means no limit.</summary>
    public int? HTTPMaxConnsPerClient { get; init; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(HealthServiceEntry[]))]
[JsonSerializable(typeof(HealthServiceEntry))]
[JsonSerializable(typeof(Dictionary<string, string[]?>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(AgentSelf))]
internal sealed partial class ConsulJsonContext : JsonSerializerContext;
