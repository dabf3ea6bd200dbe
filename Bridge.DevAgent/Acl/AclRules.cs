namespace Bridge.DevAgent.Acl;

/// <summary>
/// What a token may do, in the shape of Consul's JSON policy rules: <c>{"service_prefix": {"": {"policy": "read"}},
/// "service": {"web": {"policy": "write"}}, "node_prefix": {...}, "node": {...}}</c>. For a name, an exact
/// <c>service</c>/<c>node</c> rule wins over every prefix rule, and the longest matching prefix wins among those;
/// a name no rule matches is denied (default policy <c>deny</c>). <c>write</c> implies <c>read</c>, <c>deny</c> refuses both.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AclRules
{
    /// <summary>Every service and every node writable: what the token of <see cref="DevAgentOptions.RequiredToken"/> gets.</summary>
    public static AclRules FullAccess { get; } = new()
    {
        ServicePrefix = new Dictionary<string, AclRule>(StringComparer.Ordinal) { [string.Empty] = AclRule.Write },
        NodePrefix = new Dictionary<string, AclRule>(StringComparer.Ordinal) { [string.Empty] = AclRule.Write },
        AgentPrefix = new Dictionary<string, AclRule>(StringComparer.Ordinal) { [string.Empty] = AclRule.Write },
    };

    /// <summary>No rule at all: everything denied.</summary>
    public static AclRules None { get; } = new();

    /// <summary>Rules for exactly one service name each.</summary>
    [JsonPropertyName("service")]
    public IReadOnlyDictionary<string, AclRule>? Service { get; init; }

    /// <summary>Rules for every service whose name starts with the key; <c>""</c> matches all.</summary>
    [JsonPropertyName("service_prefix")]
    public IReadOnlyDictionary<string, AclRule>? ServicePrefix { get; init; }

    /// <summary>Rules for exactly one node name each.</summary>
    [JsonPropertyName("node")]
    public IReadOnlyDictionary<string, AclRule>? Node { get; init; }

    /// <summary>Rules for every node whose name starts with the key; <c>""</c> matches all.</summary>
    [JsonPropertyName("node_prefix")]
    public IReadOnlyDictionary<string, AclRule>? NodePrefix { get; init; }

    /// <summary>Rules for the agent of exactly one node name each (<c>agent:read</c> opens <c>/v1/agent/self</c>).</summary>
    [JsonPropertyName("agent")]
    public IReadOnlyDictionary<string, AclRule>? Agent { get; init; }

    /// <summary>Rules for the agents of every node whose name starts with the key; <c>""</c> matches all.</summary>
    [JsonPropertyName("agent_prefix")]
    public IReadOnlyDictionary<string, AclRule>? AgentPrefix { get; init; }
}

/// <summary>One rule: <c>{"policy": "read"}</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record AclRule
{
    /// <summary><c>{"policy": "read"}</c>.</summary>
    public static AclRule Read { get; } = new() { Policy = AclPolicy.Read };

    /// <summary><c>{"policy": "write"}</c>.</summary>
    public static AclRule Write { get; } = new() { Policy = AclPolicy.Write };

    /// <summary><c>{"policy": "deny"}</c>.</summary>
    public static AclRule Deny { get; } = new() { Policy = AclPolicy.Deny };

    /// <summary>The access granted.</summary>
    [JsonPropertyName("policy")]
    public required AclPolicy Policy { get; init; }
}

/// <summary>Consul's access levels for services and nodes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AclPolicy>))]
public enum AclPolicy
{
    /// <summary>Read only.</summary>
    [JsonStringEnumMemberName("read")]
    Read,

    /// <summary>Read and write.</summary>
    [JsonStringEnumMemberName("write")]
    Write,

    /// <summary>Neither, whatever a less specific rule says.</summary>
    [JsonStringEnumMemberName("deny")]
    Deny,
}
