namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// The check Consul's state store runs before a write to a discovery-chain entry or to <c>service-defaults</c>
/// (agent/consul/state/config_entry.go <c>validateProposedConfigEntryInServiceGraph</c>): with the write applied, it
/// compiles the chain of the entry's service and of every router, splitter and resolver that sends traffic to that
/// service (agent/consul/discoverychain/compile.go, evaluated in <c>dc1</c> as Consul's check is), and refuses the write
/// with the first compile error:
/// <list type="bullet">
/// <item><c>discovery chain "web" uses a protocol "tcp" that does not permit advanced routing or splitting behavior</c>:
/// a router or splitter in a chain whose protocol (from <c>service-defaults</c>, else <c>tcp</c>) is not http, http2 or grpc.</item>
/// <item><c>discovery chain "web" uses inconsistent protocols; service "api" has "grpc" which is not "http"</c>.</item>
/// <item><c>service "web" does not have a subset named "v3"</c>, circular redirects and circular splits.</item>
/// </list>
/// The check has no view of <c>proxy-defaults</c>, which the dev agent does not store: protocols come from
/// <c>service-defaults</c> alone.
/// </summary>
internal sealed class DiscoveryChainCheck
{
    private const string EvaluateInDatacenter = "dc1";

    private readonly IReadOnlyDictionary<ConfigEntryKey, ConfigEntry> _entries;
    private readonly ConfigEntryKey _changed;
    private readonly ConfigEntry? _proposed;

    private DiscoveryChainCheck(IReadOnlyDictionary<ConfigEntryKey, ConfigEntry> entries, ConfigEntryKey changed, ConfigEntry? proposed)
    {
        _entries = entries;
        _changed = changed;
        _proposed = proposed;
    }

    /// <summary>Consul's error for writing <paramref name="proposed"/> (null: deleting) at <paramref name="changed"/>, or null.</summary>
    public static string? Problem(IReadOnlyDictionary<ConfigEntryKey, ConfigEntry> entries, ConfigEntryKey changed, string name, ConfigEntry? proposed)
    {
        var check = new DiscoveryChainCheck(entries, changed, proposed);
        var chains = new SortedSet<string>(StringComparer.Ordinal) { name };

        // The state store's "link" index, as it stands before the write: entries that send traffic to the service.
        foreach (var entry in entries.Values)
        {
            if (entry is ServiceRouterEntry or ServiceSplitterEntry or ServiceResolverEntry
                && ConfigEntryRules.RelatedServices(entry).Contains(name, StringComparer.Ordinal))
            {
                chains.Add(entry.Name);
            }
        }

        foreach (var chain in chains)
        {
            if (new Compiler(check, chain).Compile() is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private T? Find<T>(string kind, string service)
        where T : ConfigEntry
    {
        var key = ConfigEntryKey.Of(kind, service);
        return key == _changed ? _proposed as T : _entries.GetValueOrDefault(key) as T;
    }

    private sealed record Target(string Service, string? Subset, string Datacenter, string? Peer)
    {
        // structs.DiscoveryTarget IDs: subset.service.namespace.partition.datacenter.
        public string Id => Peer is not null
            ? $"{Service}.default.default.external.{Peer}"
            : Subset is null ? $"{Service}.default.default.{Datacenter}" : $"{Subset}.{Service}.default.default.{Datacenter}";
    }

    private sealed record Node(string Type, string Name, List<string> Next)
    {
        public string Key => $"{Type}:{Name}";
    }

    private sealed class Compiler(DiscoveryChainCheck check, string chain)
    {
        private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Node> _splitters = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Node> _resolvers = new(StringComparer.Ordinal);
        private string? _protocol;
        private bool _advanced;

        public string? Compile()
        {
            var problem = Assemble(out var start) ?? CircularReference(start);
            if (problem is not null)
            {
                return problem;
            }

            return _advanced && !ConfigEntryRules.IsHttpLike(_protocol ?? "tcp")
                ? $"discovery chain {Q(chain)} uses a protocol {Q(_protocol ?? "tcp")} that does not permit advanced routing or splitting behavior"
                : null;
        }

        private string? Assemble(out string start)
        {
            start = string.Empty;
            var router = check.Find<ServiceRouterEntry>(ConfigEntryKinds.ServiceRouter, chain);
            Node? node;
            string? problem;
            if (router is null)
            {
                problem = SplitterOrResolver(new Target(chain, null, EvaluateInDatacenter, null), out node);
                start = node?.Key ?? string.Empty;
                return problem;
            }

            var routerNode = new Node("router", $"{router.Name}.default.default", []);
            _advanced = true;
            if (RecordProtocol(router.Name) is { } protocolProblem)
            {
                return protocolProblem;
            }

            foreach (var route in router.Routes ?? [])
            {
                var service = route.Destination?.Service ?? chain;
                var target = new Target(service, route.Destination?.ServiceSubset, EvaluateInDatacenter, null);
                problem = target.Subset is null ? SplitterOrResolver(target, out node) : Resolver(target, failover: false, out node);
                if (problem is not null)
                {
                    return problem;
                }

                routerNode.Next.Add(node!.Key);
            }

            // The catch-all route to the router's own service.
            problem = SplitterOrResolver(new Target(router.Name, null, EvaluateInDatacenter, null), out node);
            if (problem is not null)
            {
                return problem;
            }

            routerNode.Next.Add(node!.Key);
            _nodes[routerNode.Key] = routerNode;
            start = routerNode.Key;
            return null;
        }

        private string? SplitterOrResolver(Target target, out Node? node)
        {
            var problem = Splitter(target.Service, out node);
            return problem is not null || node is not null ? problem : Resolver(target, failover: false, out node);
        }

        private string? Splitter(string service, out Node? node)
        {
            var name = $"{service}.default.default";
            if (_splitters.TryGetValue(name, out node))
            {
                return null;
            }

            var splitter = check.Find<ServiceSplitterEntry>(ConfigEntryKinds.ServiceSplitter, service);
            if (splitter is null)
            {
                return null;
            }

            // Recorded before recursing, so a loop of splitters comes back to this node.
            node = new Node("splitter", name, []);
            _splitters[name] = node;
            _nodes[node.Key] = node;
            foreach (var split in splitter.Splits ?? [])
            {
                var splitService = split.Service ?? service;
                if (splitService != service && split.ServiceSubset is null)
                {
                    var problem = Splitter(splitService, out var next);
                    if (problem is not null)
                    {
                        return problem;
                    }

                    if (next is not null)
                    {
                        node.Next.Add(next.Key);
                        continue;
                    }
                }

                var resolverProblem = Resolver(new Target(splitService, split.ServiceSubset, EvaluateInDatacenter, null), failover: false, out var resolver);
                if (resolverProblem is not null)
                {
                    return resolverProblem;
                }

                node.Next.Add(resolver!.Key);
            }

            _advanced = true;
            return null;
        }

        private string? Resolver(Target target, bool failover, out Node? node)
        {
            node = null;
            var history = new HashSet<string>(StringComparer.Ordinal);
            var order = new List<string>();
            while (true)
            {
                if (_resolvers.TryGetValue(target.Id, out node))
                {
                    return null;
                }

                if (target.Peer is null && RecordProtocol(target.Service) is { } protocolProblem)
                {
                    return protocolProblem;
                }

                var resolver = check.Find<ServiceResolverEntry>(ConfigEntryKinds.ServiceResolver, target.Service)
                    ?? new ServiceResolverEntry { Name = target.Service };
                if (!history.Add(target.Id))
                {
                    order.Add(target.Id);
                    return $"detected circular resolver redirect: [{string.Join(" -> ", order)}]";
                }

                order.Add(target.Id);
                if (resolver.Redirect is { } redirect)
                {
                    var redirected = Rewrite(target, redirect.Service, redirect.ServiceSubset, redirect.Datacenter, redirect.Peer);
                    if (redirected.Id != target.Id)
                    {
                        target = redirected;
                        continue;
                    }
                }

                if (target.Subset is null && resolver.DefaultSubset is { } defaultSubset)
                {
                    target = Rewrite(target, null, defaultSubset, null, target.Peer);
                    continue;
                }

                if (target.Subset is { } subset && resolver.Subsets?.ContainsKey(subset) != true)
                {
                    return $"service {Q(target.Service)} does not have a subset named {Q(subset)}";
                }

                var external = check.Find<ServiceDefaultsEntry>(ConfigEntryKinds.ServiceDefaults, target.Service)?.ExternalSni is not null;
                if (external)
                {
                    var what = resolver.Redirect is not null ? "redirects" : resolver.Subsets is not null ? "subsets" : resolver.Failover is not null ? "failover" : null;
                    if (what is not null)
                    {
                        return $"service {Q(target.Service)} has an external SNI set; cannot define {what} for external services";
                    }
                }

                node = new Node("resolver", target.Id, []);
                if (failover)
                {
                    return null;
                }

                _resolvers[target.Id] = node;
                _nodes[node.Key] = node;
                return Failover(target, resolver);
            }
        }

        // Failover targets get their own redirects and default subset, but not their own failover.
        private string? Failover(Target target, ServiceResolverEntry resolver)
        {
            if (resolver.Failover is not { } failovers
                || !(failovers.TryGetValue(target.Subset ?? string.Empty, out var failover) || failovers.TryGetValue("*", out failover)))
            {
                return null;
            }

            IEnumerable<Target> candidates = failover.Datacenters is { Count: > 0 } datacenters
                ? datacenters.Select(dc => Rewrite(target, failover.Service, failover.ServiceSubset, dc, null))
                : failover.Targets is { Count: > 0 } targets
                    ? targets.Select(t => Rewrite(target, t.Service, t.ServiceSubset, t.Datacenter, t.Peer))
                    : [Rewrite(target, failover.Service, failover.ServiceSubset, null, null)];
            foreach (var candidate in candidates.Where(c => c.Id != target.Id))
            {
                if (Resolver(candidate, failover: true, out _) is { } problem)
                {
                    return problem;
                }
            }

            return null;
        }

        // compile.go rewriteTarget: another service drops the subset.
        private static Target Rewrite(Target target, string? service, string? subset, string? datacenter, string? peer)
        {
            var merged = target with { Peer = peer };
            if (service is not null && service != merged.Service)
            {
                merged = merged with { Service = service, Subset = null };
            }

            if (subset is not null)
            {
                merged = merged with { Subset = subset };
            }

            if (datacenter is not null)
            {
                merged = merged with { Datacenter = datacenter };
            }

            return merged.Peer is not null ? merged with { Datacenter = string.Empty }
                : merged.Datacenter.Length == 0 ? merged with { Datacenter = EvaluateInDatacenter }
                : merged;
        }

        private string? RecordProtocol(string service)
        {
            var protocol = check.Find<ServiceDefaultsEntry>(ConfigEntryKinds.ServiceDefaults, service)?.Protocol is { Length: > 0 } p
                ? p.ToLowerInvariant()
                : "tcp";
            if (_protocol is null)
            {
                _protocol = protocol;
                return null;
            }

            return _protocol == protocol
                ? null
                : $"discovery chain {Q(chain)} uses inconsistent protocols; service {Q(service)} has {Q(protocol)} which is not {Q(_protocol)}";
        }

        // compile.go detectCircularReferences: a depth-first walk that reports the path that closed a loop.
        private string? CircularReference(string start)
        {
            var todo = new Stack<string>();
            var visited = new HashSet<string>(StringComparer.Ordinal);
            var path = new List<string>();
            const string PopVisit = "_popvisit";
            todo.Push(start);
            while (todo.TryPop(out var current))
            {
                if (current == PopVisit)
                {
                    if (path.Count > 0)
                    {
                        visited.Remove(path[^1]);
                        path.RemoveAt(path.Count - 1);
                    }

                    continue;
                }

                path.Add(current);
                if (!visited.Add(current))
                {
                    return $"detected circular reference: [{string.Join(" -> ", path)}]";
                }

                todo.Push(PopVisit);
                if (_nodes.TryGetValue(current, out var node))
                {
                    foreach (var next in node.Next)
                    {
                        todo.Push(next);
                    }
                }
            }

            return null;
        }

        private static string Q(string value) => ConsulErrors.GoQuote(value);
    }
}
