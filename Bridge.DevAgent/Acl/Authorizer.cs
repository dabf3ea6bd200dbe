namespace Bridge.DevAgent.Acl;

/// <summary>
/// The decisions one token's rules give (acl/policy_authorizer.go): an exact rule for the name wins,
/// else the longest matching prefix rule, else deny. Refusals carry Consul's own error text
/// (acl/errors.go <c>PermissionDeniedError</c>).
/// </summary>
internal sealed class Authorizer
{
    /// <summary>Consul's fixed AccessorID of the anonymous token (acl.AnonymousTokenID).</summary>
    public const string AnonymousAccessorId = "00000000-0000-0000-0000-000000000002";

    private readonly Rule[] _servicePrefixes;
    private readonly Rule[] _nodePrefixes;
    private readonly Rule[] _agentPrefixes;
    private readonly IReadOnlyDictionary<string, AclRule> _services;
    private readonly IReadOnlyDictionary<string, AclRule> _nodes;
    private readonly IReadOnlyDictionary<string, AclRule> _agents;
    private readonly bool _allowAll;

    private Authorizer(string accessorId, AclRules? rules)
    {
        AccessorId = accessorId;
        _allowAll = rules is null;
        _services = rules?.Service ?? new Dictionary<string, AclRule>();
        _nodes = rules?.Node ?? new Dictionary<string, AclRule>();
        _servicePrefixes = Prefixes(rules?.ServicePrefix);
        _nodePrefixes = Prefixes(rules?.NodePrefix);
        _agents = rules?.Agent ?? new Dictionary<string, AclRule>();
        _agentPrefixes = Prefixes(rules?.AgentPrefix);
    }

    /// <summary>ACLs off: everything allowed, nothing filtered.</summary>
    public static Authorizer AllowAll { get; } = new(string.Empty, null);

    public string AccessorId { get; }

    public static Authorizer For(string accessorId, AclRules rules) => new(accessorId, rules);

    public bool ServiceRead(string name) => Allows(_services, _servicePrefixes, name, write: false);

    public bool ServiceWrite(string name) => Allows(_services, _servicePrefixes, name, write: true);

    public bool NodeRead(string name) => Allows(_nodes, _nodePrefixes, name, write: false);

    public bool NodeWrite(string name) => Allows(_nodes, _nodePrefixes, name, write: true);

    /// <summary>Reading the agent of node <paramref name="node"/>: its <c>/v1/agent/self</c> (Consul's <c>AgentReadAllowed</c>).</summary>
    public bool AgentRead(string node) => Allows(_agents, _agentPrefixes, node, write: false);

    public void RequireServiceWrite(string name)
    {
        if (!ServiceWrite(name))
        {
            throw Denied("service", "write", name);
        }
    }

    public void RequireNodeWrite(string name)
    {
        if (!NodeWrite(name))
        {
            throw Denied("node", "write", name);
        }
    }

    /// <summary>403 with <c>PermissionDeniedError.Error()</c>'s text for a named resource.</summary>
    public DevAgentException Denied(string resource, string access, string name)
    {
        var who = AccessorId == AnonymousAccessorId ? "anonymous token" : $"token with AccessorID '{AccessorId}'";
        var text = $"{ConsulErrors.PermissionDenied}: {who} lacks permission '{resource}:{access}' on {ConsulErrors.GoQuote(name)}";
        if (AccessorId == AnonymousAccessorId)
        {
            text += ". The anonymous token is used implicitly when a request does not specify a token.";
        }

        return new DevAgentException(403, text);
    }

    private bool Allows(IReadOnlyDictionary<string, AclRule> exact, Rule[] prefixes, string name, bool write)
    {
        if (_allowAll)
        {
            return true;
        }

        AclPolicy? policy = exact.TryGetValue(name, out var rule) ? rule.Policy : null;
        if (policy is null)
        {
            // Sorted longest first, so the first match is the longest prefix.
            foreach (var prefix in prefixes)
            {
                if (name.StartsWith(prefix.Prefix, StringComparison.Ordinal))
                {
                    policy = prefix.Policy;
                    break;
                }
            }
        }

        return policy switch
        {
            AclPolicy.Write => true,
            AclPolicy.Read => !write,
            _ => false,
        };
    }

    private static Rule[] Prefixes(IReadOnlyDictionary<string, AclRule>? rules) =>
        rules is null ? [] : [.. rules.Select(p => new Rule(p.Key, p.Value.Policy)).OrderByDescending(r => r.Prefix.Length)];

    private readonly record struct Rule(string Prefix, AclPolicy Policy);
}
