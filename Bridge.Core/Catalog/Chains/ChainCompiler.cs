using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Core.Catalog.Chains;

/// <summary>
/// Compiles the discovery chain of a service from Consul's config entries, following the rules of Consul's own
/// compiler (<c>agent/consul/discoverychain/compile.go</c>), which Consul applies to Connect sidecars only:
/// <list type="bullet">
/// <item>The service's router, if any, first: its routes in order, then a catch-all to the service itself. A route
/// naming a subset goes straight to that subset's resolver; otherwise to its service's splitter, else its resolver.</item>
/// <item>A split to another service without a subset goes through that service's splitter, if it has one: nested
/// splitters are flattened, the weights multiplied (outer x inner / 100, to 0.01).</item>
/// <item>A resolver's redirect is applied until the target stops changing (a target seen twice is a cycle; another
/// service resets the subset), then its default subset, which must exist.</item>
/// <item>Failover: the resolver's <c>Failover[subset]</c>, else <c>Failover["*"]</c>; one target per datacenter
/// listed, or the targets listed, or the one Service/ServiceSubset given. The target itself is left out; failover
/// targets get their resolver's redirect and default subset but no failover of their own.</item>
/// <item>Every service the chain resolves (and the router's) speaks one protocol, from its service-defaults, else the
/// default given (Consul's is <c>tcp</c>); a router or splitter needs <c>http</c>, <c>http2</c> or <c>grpc</c>.</item>
/// </list>
/// A chain that cannot be compiled yields an error naming the entry at fault, so that the caller can keep the chain it
/// had. Nothing is logged here.
/// </summary>
internal static class ChainCompiler
{
    public const string DefaultProtocol = "tcp";

    /// <summary>A resolver's connect timeout when it sets none, as in Consul.</summary>
    public static TimeSpan DefaultConnectTimeout { get; } = TimeSpan.FromSeconds(5);

    public static bool IsHttpProtocol(string protocol) => protocol is "http" or "http2" or "grpc";

    /// <param name="service">The service callers ask for.</param>
    /// <param name="datacenter">The local datacenter: targets that name none are here.</param>
    /// <param name="defaultProtocol">The protocol of a service no service-defaults gives one (Consul's proxy-defaults, else <c>tcp</c>).</param>
    public static ChainResult Compile(string service, ConfigEntrySet entries, string datacenter, string defaultProtocol = DefaultProtocol)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(datacenter);
        var protocol = string.IsNullOrWhiteSpace(defaultProtocol) ? DefaultProtocol : defaultProtocol.Trim().ToLowerInvariant();
        try
        {
            return ChainResult.Of(new Compilation(service, entries, datacenter, protocol).Run());
        }
        catch (ChainException e)
        {
            return ChainResult.Failed(e.Error);
        }
    }

    /// <summary>The chain of each service named (once each), by service name.</summary>
    public static ImmutableSortedDictionary<string, ChainResult> CompileAll(
        IEnumerable<string> services, ConfigEntrySet entries, string datacenter, string defaultProtocol = DefaultProtocol)
    {
        var chains = ImmutableSortedDictionary.CreateBuilder<string, ChainResult>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (!chains.ContainsKey(service))
            {
                chains[service] = Compile(service, entries, datacenter, defaultProtocol);
            }
        }

        return chains.ToImmutable();
    }

    private sealed class ChainException(ChainError error) : Exception(error.ToString())
    {
        public ChainError Error { get; } = error;
    }

    /// <summary>One compilation's working state; thrown away once the chain is built.</summary>
    private sealed class Compilation(string service, ConfigEntrySet entries, string datacenter, string defaultProtocol)
    {
        private readonly Dictionary<TargetId, Target> _targets = [];
        private readonly HashSet<TargetId> _primaries = [];
        private readonly Dictionary<string, EquatableArray<Split>> _flattened = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _splitting = [];
        private string? _protocol;
        private string _protocolSource = "";
        private ConfigEntry? _routing;

        public DiscoveryChain Run()
        {
            var routes = new List<RouteRule>();
            var router = entries.Router(service);
            if (router is not null)
            {
                Use(router);
                _routing = router;
                RecordProtocol(service, router);
                foreach (var route in router.Routes ?? [])
                {
                    routes.Add(Compile(router, route));
                }
            }

            var start = SplitterOrResolver(service, router);
            routes.Add(new RouteRule(RouteMatch.Everything, start) { IsCatchAll = true });

            if (_routing is not null && !IsHttpProtocol(_protocol!))
            {
                throw Failure(_routing, $"a {_routing.EntryKind.ApiName()} needs protocol http, http2 or grpc, but chain \"{service}\" speaks {_protocol} ({_protocolSource})");
            }

            // As Consul decides it: the start is a resolver that changes nothing, for the service itself.
            var isDefault = router is null
                && start is TargetDestination { Target: var target }
                && target.Service == service
                && target.Datacenter == datacenter
                && (entries.Resolver(service) is not { } resolver || ChangesNothing(resolver));

            return new DiscoveryChain(service, datacenter, _protocol!, isDefault, [.. routes], _targets.Values.OrderBy(t => t.Id).ToEquatableArray());
        }

        private RouteRule Compile(ServiceRouterEntry router, ServiceRoute route)
        {
            var destination = route.Destination;
            var to = Given(destination?.Service) ? destination!.Service! : service;
            RouteDestination next = Given(destination?.ServiceSubset)
                ? new TargetDestination(ResolvePrimary(new TargetId(to, destination!.ServiceSubset!, datacenter), router))
                : SplitterOrResolver(to, router);
            return new RouteRule(Match(route.Match?.Http), next)
            {
                PrefixRewrite = Given(destination?.PrefixRewrite) ? destination!.PrefixRewrite : null,
                RequestTimeout = Positive(destination?.RequestTimeout),
                IdleTimeout = Positive(destination?.IdleTimeout),
                Retry = Retry(destination),
                RequestHeaders = Changes(destination?.RequestHeaders),
                ResponseHeaders = Changes(destination?.ResponseHeaders),
            };
        }

        private RouteDestination SplitterOrResolver(string name, ConfigEntry? via) =>
            entries.Splitter(name) is { } splitter
                ? new SplitDestination(Flatten(splitter))
                : new TargetDestination(ResolvePrimary(new TargetId(name, "", datacenter), via));

        /// <summary>A splitter's splits with every split to another splitter replaced by that splitter's, weighted.</summary>
        private EquatableArray<Split> Flatten(ServiceSplitterEntry splitter)
        {
            if (_flattened.TryGetValue(splitter.Name, out var known))
            {
                return known;
            }

            var cycleStart = _splitting.FindIndex(s => string.Equals(s, splitter.Name, StringComparison.OrdinalIgnoreCase));
            if (cycleStart >= 0)
            {
                throw Failure(splitter, $"split cycle: {string.Join(" -> ", _splitting.Skip(cycleStart).Append(splitter.Name))}");
            }

            Use(splitter);
            _routing ??= splitter;
            _splitting.Add(splitter.Name);
            var splits = new List<Split>();
            foreach (var split in splitter.Splits ?? [])
            {
                var name = Given(split.Service) ? split.Service! : splitter.Name;
                var request = Changes(split.RequestHeaders);
                var response = Changes(split.ResponseHeaders);
                if (!string.Equals(name, splitter.Name, StringComparison.OrdinalIgnoreCase) && !Given(split.ServiceSubset)
                    && entries.Splitter(name) is { } inner)
                {
                    // The outer split's request changes apply first, so the inner's win; responses pass the other way.
                    splits.AddRange(Flatten(inner).Select(leaf => new Split(Rounded(split.Weight * leaf.Weight / 100), leaf.Target)
                    {
                        RequestHeaders = HeaderChanges.Merge(request, leaf.RequestHeaders),
                        ResponseHeaders = HeaderChanges.Merge(leaf.ResponseHeaders, response),
                    }));
                    continue;
                }

                var target = ResolvePrimary(new TargetId(name, split.ServiceSubset ?? "", datacenter), splitter);
                splits.Add(new Split(Rounded(split.Weight), target) { RequestHeaders = request, ResponseHeaders = response });
            }

            _splitting.RemoveAt(_splitting.Count - 1);
            var flattened = splits.ToEquatableArray();
            _flattened[splitter.Name] = flattened;
            return flattened;
        }

        /// <summary>Resolves a target a route or split leads to, and gives it its failover.</summary>
        private TargetId ResolvePrimary(TargetId requested, ConfigEntry? via)
        {
            var (id, resolver) = Resolve(requested, via);
            if (_primaries.Add(id))
            {
                _targets[id] = Build(id, resolver, Failover(id, resolver));
            }

            return id;
        }

        /// <summary>Applies redirects until the target is stable, then the default subset; the subset must exist.</summary>
        private (TargetId Id, ServiceResolverEntry? Resolver) Resolve(TargetId target, ConfigEntry? via)
        {
            var seen = new List<TargetId>();
            while (true)
            {
                RecordProtocol(target.Service, via);
                var resolver = entries.Resolver(target.Service);
                if (resolver is not null)
                {
                    Use(resolver);
                }

                if (seen.Contains(target))
                {
                    throw Failure(via, target.Service, $"redirect cycle: {string.Join(" -> ", seen.SkipWhile(t => t != target).Append(target))}");
                }

                seen.Add(target);
                if (resolver?.Redirect is { } redirect)
                {
                    var redirected = Rewrite(target, redirect.Service, redirect.ServiceSubset, redirect.Datacenter);
                    if (redirected != target)
                    {
                        (target, via) = (redirected, resolver);
                        continue;
                    }
                }

                if (target.Subset.Length == 0 && Given(resolver?.DefaultSubset))
                {
                    (target, via) = (target with { Subset = resolver!.DefaultSubset! }, resolver);
                    continue;
                }

                if (target.Subset.Length > 0 && resolver?.Subsets?.ContainsKey(target.Subset) != true)
                {
                    var why = resolver is null ? "it has no service-resolver" : $"its service-resolver defines {Names(resolver.Subsets?.Keys)}";
                    throw Failure(via, target.Service, $"service \"{target.Service}\" has no subset \"{target.Subset}\" ({why})");
                }

                return (target, resolver);
            }
        }

        private EquatableArray<TargetId> Failover(TargetId id, ServiceResolverEntry? resolver)
        {
            var failovers = resolver?.Failover;
            if (failovers is null || (!failovers.TryGetValue(id.Subset, out var failover) && !failovers.TryGetValue(ConfigEntryRules.AnySubset, out failover)))
            {
                return [];
            }

            IEnumerable<TargetId> candidates = failover.Datacenters is { Count: > 0 } datacenters
                ? datacenters.Select(dc => Rewrite(id, failover.Service, failover.ServiceSubset, dc))
                : failover.Targets is { Count: > 0 } targets
                    ? targets.Select(t => Rewrite(id, t.Service, t.ServiceSubset, t.Datacenter))
                    : [Rewrite(id, failover.Service, failover.ServiceSubset, null)];

            var chosen = new List<TargetId>();
            foreach (var candidate in candidates)
            {
                // The target itself is no failover, even when a redirect leads back to it.
                var (resolved, candidateResolver) = Resolve(candidate, resolver);
                if (resolved == id || chosen.Contains(resolved))
                {
                    continue;
                }

                chosen.Add(resolved);
                _targets.TryAdd(resolved, Build(resolved, candidateResolver, []));
            }

            return [.. chosen];
        }

        private void RecordProtocol(string name, ConfigEntry? via)
        {
            var defaults = entries.Defaults(name);
            var declared = Given(defaults?.Protocol);
            var protocol = declared ? defaults!.Protocol!.Trim().ToLowerInvariant() : defaultProtocol;
            var source = declared ? $"service-defaults \"{defaults!.Name}\"" : "no service-defaults";
            if (_protocol is null)
            {
                _protocol = protocol;
                _protocolSource = $"service \"{name}\", {source}";
                return;
            }

            if (_protocol != protocol)
            {
                var reason = $"service \"{name}\" speaks {protocol} ({source}) but chain \"{service}\" speaks {_protocol} ({_protocolSource}): every service of a chain must speak one protocol";
                throw declared ? Failure(defaults, name, reason) : Failure(via, name, reason);
            }
        }

        private void Use(ConfigEntry entry)
        {
            if (entries.Problem(entry) is { } problem)
            {
                throw Failure(entry, problem);
            }
        }

        private ChainException Failure(ConfigEntry entry, string reason) =>
            new(new ChainError(service, entry.EntryKind.ApiName(), entry.Name, reason));

        /// <summary>Blames <paramref name="entry"/>, or when no entry led there, the resolver of the service concerned.</summary>
        private ChainException Failure(ConfigEntry? entry, string concerned, string reason) =>
            entry is not null ? Failure(entry, reason) : new(new ChainError(service, ConfigEntryKind.ServiceResolver.ApiName(), concerned, reason));
    }

    private static Target Build(TargetId id, ServiceResolverEntry? resolver, EquatableArray<TargetId> failover)
    {
        var subset = id.Subset.Length == 0 ? null : resolver!.Subsets![id.Subset];
        return new Target(
            id,
            subset is null ? null : new SubsetSelection(subset.Filter ?? "", subset.OnlyPassing),
            resolver?.ConnectTimeout > TimeSpan.Zero ? resolver.ConnectTimeout : DefaultConnectTimeout,
            Positive(resolver?.RequestTimeout),
            LoadBalancerOf(resolver?.LoadBalancer),
            failover);
    }

    /// <summary>Consul's <c>IsDefault</c>: none of the options that change how the service is resolved.</summary>
    private static bool ChangesNothing(ServiceResolverEntry resolver) =>
        !Given(resolver.DefaultSubset)
        && resolver.Subsets is not { Count: > 0 }
        && resolver.Redirect is null
        && resolver.Failover is not { Count: > 0 }
        && resolver.ConnectTimeout == TimeSpan.Zero
        && resolver.RequestTimeout == TimeSpan.Zero
        && resolver.LoadBalancer is null;

    /// <summary>Consul's <c>rewriteTarget</c>: another service resets the subset; what is not given is kept.</summary>
    private static TargetId Rewrite(TargetId target, string? service, string? subset, string? datacenter)
    {
        if (Given(service) && service != target.Service)
        {
            target = target with { Service = service!, Subset = "" };
        }

        if (Given(subset))
        {
            target = target with { Subset = subset! };
        }

        return Given(datacenter) ? target with { Datacenter = datacenter! } : target;
    }

    private static RouteMatch Match(ServiceRouteHttpMatch? http)
    {
        if (http is null)
        {
            return RouteMatch.Everything;
        }

        var path = Given(http.PathExact) ? new PathMatch(PathMatchKind.Exact, http.PathExact!)
            : Given(http.PathPrefix) ? new PathMatch(PathMatchKind.Prefix, http.PathPrefix!)
            : Given(http.PathRegex) ? new PathMatch(PathMatchKind.Regex, http.PathRegex!)
            : PathMatch.Root;

        var headers = (http.Header ?? []).Select(h =>
        {
            var (kind, value) = h.Present ? (HeaderMatchKind.Present, "")
                : Given(h.Exact) ? (HeaderMatchKind.Exact, h.Exact!)
                : Given(h.Prefix) ? (HeaderMatchKind.Prefix, h.Prefix!)
                : Given(h.Suffix) ? (HeaderMatchKind.Suffix, h.Suffix!)
                : (HeaderMatchKind.Regex, h.Regex!);
            return new HeaderMatch(h.Name!, kind, value, h.Invert);
        });

        var queryParams = (http.QueryParam ?? []).Select(q =>
        {
            var (kind, value) = q.Present ? (QueryParamMatchKind.Present, "")
                : Given(q.Exact) ? (QueryParamMatchKind.Exact, q.Exact!)
                : (QueryParamMatchKind.Regex, q.Regex!);
            return new QueryParamMatch(q.Name!, kind, value);
        });

        return new RouteMatch(
            path,
            headers.ToEquatableArray(),
            queryParams.ToEquatableArray(),
            (http.Methods ?? []).Select(m => m.ToUpperInvariant()).ToEquatableArray());
    }

    private static RetryPolicy? Retry(ServiceRouteDestination? destination)
    {
        if (destination is null)
        {
            return null;
        }

        var retryOn = destination.RetryOn ?? [];
        var statusCodes = destination.RetryOnStatusCodes ?? [];
        return destination.NumRetries > 0 || destination.RetryOnConnectFailure || retryOn.Count > 0 || statusCodes.Count > 0
            ? new RetryPolicy(destination.NumRetries, destination.RetryOnConnectFailure, retryOn.ToEquatableArray(), statusCodes.ToEquatableArray())
            : null;
    }

    private static HeaderChanges Changes(HttpHeaderModifiers? modifiers)
    {
        if (modifiers is null)
        {
            return HeaderChanges.None;
        }

        static EquatableArray<HeaderValue> Sorted(IReadOnlyDictionary<string, string>? values) =>
            (values ?? new Dictionary<string, string>()).OrderBy(v => v.Key, StringComparer.Ordinal)
                .Select(v => new HeaderValue(v.Key, v.Value)).ToEquatableArray();

        var changes = new HeaderChanges(
            Sorted(modifiers.Add),
            Sorted(modifiers.Set),
            (modifiers.Remove ?? []).Distinct(StringComparer.Ordinal).ToEquatableArray());
        return changes.IsEmpty ? HeaderChanges.None : changes;
    }

    private static LoadBalancer? LoadBalancerOf(ResolverLoadBalancer? lb)
    {
        if (lb is null)
        {
            return null;
        }

        var policy = lb.Policy switch
        {
            "least_request" => LoadBalancerPolicy.LeastRequest,
            "random" => LoadBalancerPolicy.Random,
            "ring_hash" => LoadBalancerPolicy.RingHash,
            "maglev" => LoadBalancerPolicy.Maglev,
            _ => LoadBalancerPolicy.RoundRobin,
        };

        // A policy hashing neither a field nor the source address hashes nothing: Consul accepts it, Envoy skips it.
        var hashPolicies = (lb.HashPolicies ?? [])
            .Where(h => h.SourceIP || Given(h.Field))
            .Select(h => h.SourceIP
                ? new HashPolicy(HashPolicyKind.SourceIp, "", h.Terminal, null)
                : new HashPolicy(
                    h.Field switch
                    {
                        "cookie" => HashPolicyKind.Cookie,
                        "query_parameter" => HashPolicyKind.QueryParameter,
                        _ => HashPolicyKind.Header,
                    },
                    h.FieldValue ?? "",
                    h.Terminal,
                    h.CookieConfig is { } cookie ? new HashCookie(cookie.Session, Positive(cookie.TTL), cookie.Path ?? "") : null));

        return new LoadBalancer(
            policy,
            lb.RingHashConfig is { MinimumRingSize: > 0 } min ? min.MinimumRingSize : null,
            lb.RingHashConfig is { MaximumRingSize: > 0 } max ? max.MaximumRingSize : null,
            lb.LeastRequestConfig is { ChoiceCount: > 0 } least ? least.ChoiceCount : null,
            hashPolicies.ToEquatableArray());
    }

    /// <summary>A weight in Consul's steps of 0.01 percent, rounded as Consul rounds.</summary>
    private static decimal Rounded(decimal weight) => ConfigEntryRules.ScaledWeight(weight) / 100m;

    private static TimeSpan? Positive(TimeSpan? value) => value > TimeSpan.Zero ? value : null;

    private static string Names(IEnumerable<string>? names) =>
        names?.Any() == true ? string.Join(", ", names.Order(StringComparer.Ordinal).Select(n => $"\"{n}\"")) : "no subsets";

    private static bool Given(string? value) => !string.IsNullOrEmpty(value);
}
