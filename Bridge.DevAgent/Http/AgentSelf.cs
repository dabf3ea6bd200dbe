namespace Bridge.DevAgent.Http;

/// <summary>
/// <c>GET /v1/agent/self</c> (Consul's <c>agent.Self</c>): the agent's identity in <c>Config</c>, and in <c>DebugConfig</c>
/// the part of its runtime configuration the dev agent has, under Consul's field names.
/// </summary>
internal sealed record AgentSelf(AgentSelfConfig Config, AgentDebugConfig DebugConfig, AgentMember Member)
{
    /// <summary>Network coordinates; the dev agent has none, as an agent with <c>disable_coordinates</c>.</summary>
    public IReadOnlyDictionary<string, double>? Coord => null;

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Stats { get; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();

    public IReadOnlyDictionary<string, string> Meta { get; } = new Dictionary<string, string>();
}

/// <summary>The <c>Config</c> object of <c>/v1/agent/self</c>.</summary>
internal sealed record AgentSelfConfig(
    string Datacenter,
    string PrimaryDatacenter,
    string NodeName,
    [property: JsonPropertyName("NodeID")] string NodeId,
    bool Server,
    string Version);

/// <summary>
/// The slice of Consul's sanitised runtime configuration (<c>DebugConfig</c>) that the dev agent models; a real agent
/// sends every field of its <c>RuntimeConfig</c>.
/// </summary>
internal sealed record AgentDebugConfig(
    string Datacenter,
    string NodeName,
    int HTTPMaxConnsPerClient);

/// <summary>The agent's own LAN member (<c>serf.Member</c>).</summary>
internal sealed record AgentMember(string Name, string Addr, int Port, int Status)
{
    public IReadOnlyDictionary<string, string> Tags { get; } = new Dictionary<string, string>();
}
