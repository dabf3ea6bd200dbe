using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.Filtering;
using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// Consul's <c>Normalize</c> and <c>Validate</c> of each kind (agent/structs/config_entry.go and
/// config_entry_discoverychain.go, Community Edition), in their order and with their texts. A refusal is a 500 carrying
/// the text, as Consul's HTTP layer answers an error that crossed its RPC layer. Empty strings and collections become
/// null, which is how the dev agent's records say Go's <c>omitempty</c>.
/// </summary>
internal static partial class ConfigEntryRules
{
    private static readonly string[] LoadBalancerPolicies = ["", "random", "round_robin", "least_request", "ring_hash", "maglev"];
    private static readonly string[] HashFields = ["header", "cookie", "query_parameter"];
    private static readonly string[] HttpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"];

    private static readonly string[] RetryConditions =
    [
        "5xx", "gateway-error", "reset", "connect-failure", "envoy-ratelimited", "retriable-4xx", "refused-stream", "cancelled",
        "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ];

    /// <summary>Normalize, then Validate; returns the entry as it will be stored.</summary>
    /// <exception cref="DevAgentException">500 with Consul's text.</exception>
    public static ConfigEntry Check(ConfigEntry entry)
    {
        var normalized = Normalize(entry);
        if (Validate(normalized) is { } problem)
        {
            throw new DevAgentException(500, problem);
        }

        return normalized;
    }

    /// <summary>Whether an HTTP protocol allows routers and splitters (<c>structs.IsProtocolHTTPLike</c>).</summary>
    public static bool IsHttpLike(string protocol) => protocol is "http" or "http2" or "grpc";

    /// <summary>The other services an entry sends traffic to (<c>ListRelatedServices</c>), sorted; the entry's own name excluded.</summary>
    public static IReadOnlyList<string> RelatedServices(ConfigEntry entry)
    {
        var name = entry.Name;
        IEnumerable<string?> related = entry switch
        {
            ServiceRouterEntry router => (router.Routes ?? []).Where(r => r.Destination is not null).Select(r => r.Destination!.Service),
            ServiceSplitterEntry splitter => (splitter.Splits ?? []).Select(s => s.Service),
            ServiceResolverEntry resolver => ResolverTargets(resolver),
            _ => [],
        };
        return [.. related.Select(s => string.IsNullOrEmpty(s) ? name : s).Where(s => s != name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    private static IEnumerable<string?> ResolverTargets(ServiceResolverEntry resolver)
    {
        if (resolver.Redirect is { } redirect)
        {
            yield return redirect.Service;
        }

        foreach (var failover in resolver.Failover?.Values ?? [])
        {
            if (failover.Targets is not { Count: > 0 } targets)
            {
                yield return failover.Service;
                continue;
            }

            foreach (var target in targets.Where(t => string.IsNullOrEmpty(t.Peer)))
            {
                yield return target.Service;
            }
        }
    }

    // Deserialized records may hold nulls where their initializers put empty values: the JSON reader sets every
    // init-only property it has, given or not.
    private static ConfigEntry Normalize(ConfigEntry entry) => (entry with { Name = entry.Name ?? string.Empty }) switch
    {
        ServiceDefaultsEntry defaults => defaults with
        {
            Protocol = (defaults.Protocol ?? string.Empty).ToLowerInvariant(),
            Mode = Omit(defaults.Mode),
            TransparentProxy = defaults.TransparentProxy ?? new(),
            Expose = defaults.Expose ?? new(),
            MutualTlsMode = Omit(defaults.MutualTlsMode),
            MeshGateway = Normalize(defaults.MeshGateway),
            ExternalSni = Omit(defaults.ExternalSni),
            BalanceInboundConnections = Omit(defaults.BalanceInboundConnections),
            UpstreamConfig = defaults.UpstreamConfig is { } upstreams
                ? upstreams with
                {
                    Overrides = Omit(upstreams.Overrides?.Select(u => Normalize(u)).ToList()),
                    Defaults = upstreams.Defaults is { } d ? Normalize(d) : null,
                }
                : null,
            Meta = Omit(defaults.Meta),
        },
        ServiceResolverEntry resolver => resolver with
        {
            DefaultSubset = Omit(resolver.DefaultSubset),
            Subsets = Omit(resolver.Subsets?.ToDictionary(p => p.Key, p => p.Value with { Filter = Omit(p.Value.Filter) }, StringComparer.Ordinal)),
            Redirect = resolver.Redirect is { } r
                ? r with
                {
                    Service = Omit(r.Service),
                    ServiceSubset = Omit(r.ServiceSubset),
                    Namespace = Omit(r.Namespace),
                    Partition = Omit(r.Partition),
                    Datacenter = Omit(r.Datacenter),
                    Peer = Omit(r.Peer),
                    SamenessGroup = Omit(r.SamenessGroup),
                }
                : null,
            Failover = Omit(resolver.Failover?.ToDictionary(p => p.Key, p => Normalize(p.Value), StringComparer.Ordinal)),
            LoadBalancer = resolver.LoadBalancer is { } lb
                ? lb with
                {
                    Policy = Omit(lb.Policy),
                    HashPolicies = Omit(lb.HashPolicies?.Select(h => h with
                    {
                        Field = Omit(h.Field),
                        FieldValue = Omit(h.FieldValue),
                        CookieConfig = h.CookieConfig is { } c ? c with { Path = Omit(c.Path) } : null,
                    }).ToList()),
                }
                : null,
            Meta = Omit(resolver.Meta),
        },
        ServiceSplitterEntry splitter => splitter with
        {
            Splits = splitter.Splits?.Select(s => s with
            {
                Weight = NormalizeWeight(s.Weight),
                Service = Omit(s.Service),
                ServiceSubset = Omit(s.ServiceSubset),
                Namespace = Omit(s.Namespace),
                Partition = Omit(s.Partition),
                RequestHeaders = Normalize(s.RequestHeaders),
                ResponseHeaders = Normalize(s.ResponseHeaders),
            }).ToList(),
            Meta = Omit(splitter.Meta),
        },
        ServiceRouterEntry router => router with
        {
            Routes = router.Routes?.Select(r => Normalize(r)).ToList(),
            Meta = Omit(router.Meta),
        },
        _ => entry,
    };

    private static ServiceRoute Normalize(ServiceRoute route) => route with
    {
        Match = route.Match is { } match
            ? match with
            {
                Http = match.Http is { } http
                    ? http with
                    {
                        PathExact = Omit(http.PathExact),
                        PathPrefix = Omit(http.PathPrefix),
                        PathRegex = Omit(http.PathRegex),
                        Header = Omit(http.Header?.Select(h => h with
                        {
                            Name = h.Name ?? string.Empty,
                            Exact = Omit(h.Exact),
                            Prefix = Omit(h.Prefix),
                            Suffix = Omit(h.Suffix),
                            Regex = Omit(h.Regex),
                        }).ToList()),
                        QueryParam = Omit(http.QueryParam?.Select(q => q with { Name = q.Name ?? string.Empty, Exact = Omit(q.Exact), Regex = Omit(q.Regex) }).ToList()),
                        Methods = Omit(http.Methods?.Select(m => m.ToUpperInvariant()).ToList()),
                    }
                    : null,
            }
            : null,
        Destination = route.Destination is { } d
            ? d with
            {
                Service = Omit(d.Service),
                ServiceSubset = Omit(d.ServiceSubset),
                Namespace = Omit(d.Namespace),
                Partition = Omit(d.Partition),
                PrefixRewrite = Omit(d.PrefixRewrite),
                RetryOn = Omit(d.RetryOn),
                RetryOnStatusCodes = Omit(d.RetryOnStatusCodes),
                RequestHeaders = Normalize(d.RequestHeaders),
                ResponseHeaders = Normalize(d.ResponseHeaders),
            }
            : null,
    };

    private static ResolverFailover Normalize(ResolverFailover failover) => failover with
    {
        Service = Omit(failover.Service),
        ServiceSubset = Omit(failover.ServiceSubset),
        Namespace = Omit(failover.Namespace),
        Datacenters = Omit(failover.Datacenters),
        SamenessGroup = Omit(failover.SamenessGroup),
        Targets = Omit(failover.Targets?.Select(t => t with
        {
            Service = Omit(t.Service),
            ServiceSubset = Omit(t.ServiceSubset),
            Partition = Omit(t.Partition),
            Namespace = Omit(t.Namespace),
            Datacenter = Omit(t.Datacenter),
            Peer = Omit(t.Peer),
        }).ToList()),
    };

    // UpstreamConfig.normalize: protocol in lower case, a negative timeout as none.
    private static UpstreamConfig Normalize(UpstreamConfig upstream) => upstream with
    {
        Name = Omit(upstream.Name),
        Peer = upstream.Peer ?? string.Empty,
        EnvoyListenerJson = Omit(upstream.EnvoyListenerJson),
        EnvoyClusterJson = Omit(upstream.EnvoyClusterJson),
        Protocol = Omit(upstream.Protocol?.ToLowerInvariant()),
        ConnectTimeoutMs = Math.Max(0, upstream.ConnectTimeoutMs),
        MeshGateway = Normalize(upstream.MeshGateway),
        BalanceOutboundConnections = Omit(upstream.BalanceOutboundConnections),
    };

    private static MeshGatewaySettings Normalize(MeshGatewaySettings? gateway) => new() { Mode = Omit(gateway?.Mode) };

    private static HttpHeaderModifiers? Normalize(HttpHeaderModifiers? headers) =>
        headers is null ? null : headers with { Add = Omit(headers.Add), Set = Omit(headers.Set), Remove = Omit(headers.Remove) };

    // NormalizeServiceSplitWeight: float32 arithmetic, rounded to 0.01 (math.Round: halves away from zero).
    private static float NormalizeWeight(float weight) => ScaleWeight(weight) / 100f;

    private static int ScaleWeight(float weight) => (int)Math.Round((double)(weight * 100f), MidpointRounding.AwayFromZero);

    private static string? Validate(ConfigEntry entry) => entry switch
    {
        ServiceDefaultsEntry defaults => ValidateDefaults(defaults),
        ServiceResolverEntry resolver => ValidateResolver(resolver),
        ServiceSplitterEntry splitter => ValidateSplitter(splitter),
        ServiceRouterEntry router => ValidateRouter(router),
        _ => null,
    };

    private static string? ValidateDefaults(ServiceDefaultsEntry entry)
    {
        if (entry.Name.Length == 0)
        {
            return "Name is required";
        }

        if (entry.Name == "*")
        {
            return "service-defaults name must be the name of a service, and not a wildcard";
        }

        var problems = MetaProblems(entry.Meta);
        if (entry.BalanceInboundConnections is { } balance && balance != "exact_balance")
        {
            problems.Add($"invalid value for balance_inbound_connections: {balance}");
        }

        if (entry.UpstreamConfig is not null && entry.Destination is not null)
        {
            problems.Add("UpstreamConfig and Destination are mutually exclusive for service defaults");
            return MultiError.Format(problems);
        }

        foreach (var upstream in entry.UpstreamConfig?.Overrides ?? [])
        {
            if (ValidateUpstream(upstream, named: true) is { } problem)
            {
                problems.Add($"error in upstream override for {upstream.Name}: {problem}");
            }
        }

        if (entry.UpstreamConfig?.Defaults is { } defaults && ValidateUpstream(defaults, named: false) is { } defaultsProblem)
        {
            problems.Add($"error in upstream defaults: {defaultsProblem}");
        }

        if (entry.MutualTlsMode is { } mode && mode is not ("strict" or "permissive"))
        {
            return $"Invalid MutualTLSMode {Q(mode)}. Must be one of \"\", \"strict\", or \"permissive\".";
        }

        return problems.Count == 0 ? null : MultiError.Format(problems);
    }

    private static string? ValidateUpstream(UpstreamConfig upstream, bool named)
    {
        if (named && string.IsNullOrEmpty(upstream.Name))
        {
            return "Name is required";
        }

        if (named && upstream.Name == "*")
        {
            return "Wildcard name is not supported";
        }

        if (!named && !string.IsNullOrEmpty(upstream.Name))
        {
            return "Name must be empty";
        }

        var problems = new List<string>();
        if (upstream.PassiveHealthCheck is { } check)
        {
            var problem = check.Interval < TimeSpan.Zero ? "passive health check interval cannot be negative"
                : check.EnforcingConsecutive5Xx > 100 ? "passive health check enforcing_consecutive_5xx must be a percentage between 0 and 100"
                : check.MaxEjectionPercent > 100 ? "passive health check max_ejection_percent must be a percentage between 0 and 100"
                : check.BaseEjectionTime < TimeSpan.Zero ? "passive health check base_ejection_time cannot be negative"
                : null;
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        if (upstream.Limits is { } limits)
        {
            var problem = limits.MaxConnections < 0 ? "max connections cannot be negative"
                : limits.MaxPendingRequests < 0 ? "max pending requests cannot be negative"
                : limits.MaxConcurrentRequests < 0 ? "max concurrent requests cannot be negative"
                : null;
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        if (upstream.BalanceOutboundConnections is { } balance && balance != "exact_balance")
        {
            problems.Add($"invalid value for balance_outbound_connections: {balance}");
        }

        return problems.Count == 0 ? null : MultiError.Format(problems);
    }

    private static string? ValidateResolver(ServiceResolverEntry entry)
    {
        if (entry.Name.Length == 0)
        {
            return "Name is required";
        }

        if (MetaProblems(entry.Meta) is { Count: > 0 } metaProblems)
        {
            return MultiError.Format(metaProblems);
        }

        var subsets = entry.Subsets ?? new Dictionary<string, ResolverSubset>();
        foreach (var (name, subset) in subsets.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (name.Length == 0)
            {
                return "Subset defined with empty name";
            }

            if (SubsetNameProblem(name) is { } problem)
            {
                return $"Subset {Q(name)} is invalid: {problem}";
            }

            if (subset.Filter is { } filter)
            {
                try
                {
                    FilterParser.Parse(filter);
                }
                catch (FilterException ex)
                {
                    return $"Filter for subset {Q(name)} is not a valid expression: {ex.Message}";
                }
            }
        }

        bool IsSubset(string? subset) => subset is not null && subsets.ContainsKey(subset);

        if (entry.DefaultSubset is { } defaultSubset && !IsSubset(defaultSubset))
        {
            return $"DefaultSubset {Q(defaultSubset)} is not a valid subset";
        }

        if (entry.Redirect is { } r && RedirectProblem(entry, r, IsSubset) is { } redirectProblem)
        {
            return redirectProblem;
        }

        foreach (var (subset, failover) in (entry.Failover ?? new Dictionary<string, ResolverFailover>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (FailoverProblem(entry, subset, failover, IsSubset) is { } failoverProblem)
            {
                return failoverProblem;
            }
        }

        if (entry.ConnectTimeout < TimeSpan.Zero)
        {
            return $"Bad ConnectTimeout '{GoDuration.Format(entry.ConnectTimeout)}', must be >= 0";
        }

        if (entry.RequestTimeout < TimeSpan.Zero)
        {
            return $"Bad RequestTimeout '{GoDuration.Format(entry.RequestTimeout)}', must be >= 0";
        }

        if (entry.LoadBalancer is { } lb && LoadBalancerProblem(lb) is { } lbProblem)
        {
            return lbProblem;
        }

        return entry.PrioritizeByLocality is { ValueKind: JsonValueKind.Object } locality && locality.EnumerateObject().Any(p => !IsZero(p.Value))
            ? "Prioritize-by-locality requires Consul Enterprise "
            : null;
    }

    private static string? RedirectProblem(ServiceResolverEntry entry, ResolverRedirect r, Func<string?, bool> isSubset)
    {
        if (r.Partition is { } partition && partition != "default" && r.Datacenter is not null)
        {
            return "Cross-datacenter and cross-partition redirect is not supported";
        }

        var enterprise = r.Partition is not null ? "Setting Partition requires Consul Enterprise"
            : r.Namespace is not null ? "Setting Namespace requires Consul Enterprise"
            : r.SamenessGroup is not null ? "Setting SamenessGroup requires Consul Enterprise"
            : null;
        if (enterprise is not null)
        {
            return "Redirect: " + enterprise;
        }

        if (entry.Failover is { Count: > 0 })
        {
            return "Redirect and Failover cannot both be set";
        }

        if (r is { Service: null, ServiceSubset: null, Namespace: null, Partition: null, Datacenter: null, Peer: null })
        {
            return "Redirect is empty";
        }

        if (r.Peer is not null && r.ServiceSubset is not null)
        {
            return "Redirect.Peer cannot be set with Redirect.ServiceSubset";
        }

        if (r.Peer is not null && r.Partition is not null)
        {
            return "Redirect.Partition cannot be set with Redirect.Peer";
        }

        if (r.Peer is not null && r.Datacenter is not null)
        {
            return "Redirect.Peer cannot be set with Redirect.Datacenter";
        }

        if (r.Service is null)
        {
            return r.ServiceSubset is not null ? "Redirect.ServiceSubset defined without Redirect.Service"
                : r.Namespace is not null ? "Redirect.Namespace defined without Redirect.Service"
                : r.Partition is not null ? "Redirect.Partition defined without Redirect.Service"
                : r.Peer is not null ? "Redirect.Peer defined without Redirect.Service"
                : null;
        }

        return r.ServiceSubset is { } subset && r.Service == entry.Name && !isSubset(subset)
            ? $"Redirect.ServiceSubset {Q(subset)} is not a valid subset of {Q(entry.Name)}"
            : null;
    }

    private static string? FailoverProblem(ServiceResolverEntry entry, string subset, ResolverFailover f, Func<string?, bool> isSubset)
    {
        var prefix = $"Bad Failover[{Q(subset)}]: ";
        if (f.Namespace is not null)
        {
            return prefix + "Setting Namespace requires Consul Enterprise";
        }

        if (f.SamenessGroup is not null)
        {
            return prefix + "Setting SamenessGroup requires Consul Enterprise";
        }

        if (f.Policy is { ValueKind: JsonValueKind.Object } policy && policy.TryGetProperty("Mode", out var mode) && !IsZero(mode))
        {
            return prefix + "Setting failover policies requires Consul Enterprise";
        }

        if (subset != "*" && !isSubset(subset))
        {
            return prefix + "not a valid subset subset";
        }

        if (f is { Service: null, ServiceSubset: null, Namespace: null, Datacenters: null, Targets: null })
        {
            return prefix + "one of Service, ServiceSubset, Namespace, Targets, or Datacenters is required";
        }

        if (f.ServiceSubset is { } failoverSubset && (f.Service is null || f.Service == entry.Name) && !isSubset(failoverSubset))
        {
            return $"{prefix}ServiceSubset {Q(failoverSubset)} is not a valid subset of {Q(f.Service ?? string.Empty)}";
        }

        if (f.Datacenters is not null && f.Targets is not null)
        {
            return $"Bad Failover[{Q(subset)}]: Targets cannot be set with Datacenters";
        }

        if (f.ServiceSubset is not null && f.Targets is not null)
        {
            return $"Bad Failover[{Q(subset)}]: Targets cannot be set with ServiceSubset";
        }

        if (f.Service is not null && f.Targets is not null)
        {
            return $"Bad Failover[{Q(subset)}]: Targets cannot be set with Service";
        }

        for (var i = 0; i < (f.Targets?.Count ?? 0); i++)
        {
            var t = f.Targets![i];
            var targetPrefix = $"Bad Failover[{Q(subset)}].Targets[{i}]: ";
            var problem = t.Partition is not null ? "Setting Partition requires Consul Enterprise"
                : t.Namespace is not null ? "Setting Namespace requires Consul Enterprise"
                : t.Peer is not null && t.ServiceSubset is not null ? "Peer cannot be set with ServiceSubset"
                : t.Peer is not null && t.Partition is not null ? "Partition cannot be set with Peer"
                : t.Peer is not null && t.Datacenter is not null ? "Peer cannot be set with Datacenter"
                : t.Partition is not null && t.Datacenter is not null ? "Partition cannot be set with Datacenter"
                : t.ServiceSubset is { } s && (t.Service is null || t.Service == entry.Name) && !isSubset(s)
                    ? $"ServiceSubset {Q(s)} is not a valid subset of {Q(entry.Name)}"
                    : null;
            if (problem is not null)
            {
                return targetPrefix + problem;
            }
        }

        return f.Datacenters?.Any(dc => dc.Length == 0) == true ? $"Bad Failover[{Q(subset)}].Datacenters: found empty datacenter" : null;
    }

    private static string? LoadBalancerProblem(LoadBalancer lb)
    {
        var policy = lb.Policy ?? string.Empty;
        if (!LoadBalancerPolicies.Contains(policy, StringComparer.Ordinal))
        {
            return $"Bad LoadBalancer policy: {Q(policy)} is not supported";
        }

        if (policy != "ring_hash" && lb.RingHashConfig is not null)
        {
            return $"Bad LoadBalancer configuration. RingHashConfig specified for incompatible load balancing policy {Q(policy)}";
        }

        if (policy != "least_request" && lb.LeastRequestConfig is not null)
        {
            return $"Bad LoadBalancer configuration. LeastRequestConfig specified for incompatible load balancing policy {Q(policy)}";
        }

        if (policy is not ("ring_hash" or "maglev") && lb.HashPolicies is { Count: > 0 })
        {
            return $"Bad LoadBalancer configuration: HashPolicies specified for non-hash-based Policy: {Q(policy)}";
        }

        for (var i = 0; i < (lb.HashPolicies?.Count ?? 0); i++)
        {
            var hp = lb.HashPolicies![i];
            var field = hp.Field ?? string.Empty;
            var problem = field.Length > 0 && !HashFields.Contains(field, StringComparer.Ordinal) ? $"{Q(field)} is not a supported field"
                : hp.SourceIp && field.Length > 0 ? $"A single hash policy cannot hash both a source address and a {Q(field)}"
                : hp.SourceIp && hp.FieldValue is not null ? "A FieldValue cannot be specified when hashing SourceIP"
                : field.Length > 0 && hp.FieldValue is null ? $"Field {Q(field)} was specified without a FieldValue"
                : hp.FieldValue is not null && field.Length == 0 ? "FieldValue requires a Field to apply to"
                : hp.CookieConfig is not null && field != "cookie" ? $"cookie_config provided for {Q(field)}"
                : hp.CookieConfig is { Session: true } cookie && cookie.Ttl != TimeSpan.Zero ? "a session cookie cannot have an associated TTL"
                : null;
            if (problem is not null)
            {
                return $"Bad LoadBalancer HashPolicy[{i}]: {problem}";
            }
        }

        return null;
    }

    private static string? ValidateSplitter(ServiceSplitterEntry entry)
    {
        if (entry.Name.Length == 0)
        {
            return "Name is required";
        }

        if (entry.Splits is not { Count: > 0 } splits)
        {
            return "no splits configured";
        }

        if (MetaProblems(entry.Meta) is { Count: > 0 } metaProblems)
        {
            return MultiError.Format(metaProblems);
        }

        // Splits compare as Go structs with the weight zeroed: header modifiers are pointers, so a split carrying
        // any never equals another.
        var seen = new HashSet<(string, string, string, string)>();
        foreach (var split in splits.Where(s => s.RequestHeaders is null && s.ResponseHeaders is null))
        {
            var key = (split.Service ?? entry.Name, split.ServiceSubset ?? string.Empty, split.Namespace ?? string.Empty, split.Partition ?? string.Empty);
            if (!seen.Add(key))
            {
                return $"split destination occurs more than once: service={Q(key.Item1)}, subset={Q(key.Item2)}, namespace={Q(key.Item3)}, partition={Q(key.Item4)}";
            }
        }

        var sum = splits.Sum(s => ScaleWeight(s.Weight));
        return sum == 100 * 100
            ? null
            : $"the sum of all split weights must be 100, not {((float)sum / 100f).ToString("F6", CultureInfo.InvariantCulture)}";
    }

    private static string? ValidateRouter(ServiceRouterEntry entry)
    {
        if (entry.Name.Length == 0)
        {
            return "Name is required";
        }

        if (MetaProblems(entry.Meta) is { Count: > 0 } metaProblems)
        {
            return MultiError.Format(metaProblems);
        }

        for (var i = 0; i < (entry.Routes?.Count ?? 0); i++)
        {
            if (RouteProblem(entry.Routes![i], i) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? RouteProblem(ServiceRoute route, int i)
    {
        var eligibleForPrefixRewrite = false;
        if (route.Match?.Http is { } http)
        {
            var pathParts = 0;
            if (http.PathExact is { } exact)
            {
                eligibleForPrefixRewrite = true;
                pathParts++;
                if (!exact.StartsWith('/'))
                {
                    return $"Route[{i}] PathExact doesn't start with '/': {Q(exact)}";
                }
            }

            if (http.PathPrefix is { } prefix)
            {
                eligibleForPrefixRewrite = true;
                pathParts++;
                if (!prefix.StartsWith('/'))
                {
                    return $"Route[{i}] PathPrefix doesn't start with '/': {Q(prefix)}";
                }
            }

            if (http.PathRegex is not null)
            {
                pathParts++;
            }

            if (pathParts > 1)
            {
                return $"Route[{i}] should only contain at most one of PathExact, PathPrefix, or PathRegex";
            }

            for (var j = 0; j < (http.Header?.Count ?? 0); j++)
            {
                var header = http.Header![j];
                if (header.Name.Length == 0)
                {
                    return $"Route[{i}] Header[{j}] missing required Name field";
                }

                var parts = (header.Present ? 1 : 0) + Count(header.Exact, header.Regex, header.Prefix, header.Suffix);
                if (parts != 1)
                {
                    return $"Route[{i}] Header[{j}] should only contain one of Present, Exact, Prefix, Suffix, or Regex";
                }
            }

            for (var j = 0; j < (http.QueryParam?.Count ?? 0); j++)
            {
                var parameter = http.QueryParam![j];
                if (parameter.Name.Length == 0)
                {
                    return $"Route[{i}] QueryParam[{j}] missing required Name field";
                }

                if ((parameter.Present ? 1 : 0) + Count(parameter.Exact, parameter.Regex) != 1)
                {
                    return $"Route[{i}] QueryParam[{j}] should only contain one of Present, Exact, or Regex";
                }
            }

            var methods = new HashSet<string>(StringComparer.Ordinal);
            foreach (var method in http.Methods ?? [])
            {
                if (!HttpMethods.Contains(method, StringComparer.Ordinal))
                {
                    return $"Route[{i}] Methods contains an invalid method {Q(method)}";
                }

                if (!methods.Add(method))
                {
                    return $"Route[{i}] Methods contains {Q(method)} more than once";
                }
            }
        }

        if (route.Destination is { } destination)
        {
            if (destination.PrefixRewrite is not null && !eligibleForPrefixRewrite)
            {
                return $"Route[{i}] cannot make use of PrefixRewrite without configuring either PathExact or PathPrefix";
            }

            foreach (var condition in destination.RetryOn ?? [])
            {
                if (!RetryConditions.Contains(condition, StringComparer.Ordinal))
                {
                    return $"Route[{i}] contains an invalid retry condition: {Q(condition)}";
                }
            }
        }

        return null;
    }

    // validateServiceSubset: subset names go into SNI, so they must be DNS labels.
    private static string? SubsetNameProblem(string name)
    {
        if (name.Length > 63)
        {
            return "must be non-empty and 63 characters or fewer";
        }

        return DnsLabel().IsMatch(name)
            ? null
            : "must be 63 characters or fewer, begin or end with lower case alphanumeric characters, and contain lower case alphanumeric characters or '-' in between";
    }

    // validateConfigEntryMeta: lengths in bytes, as Go's len.
    private static List<string> MetaProblems(IReadOnlyDictionary<string, string>? meta)
    {
        var problems = new List<string>();
        if (meta is null)
        {
            return problems;
        }

        if (meta.Count > ServiceValidation.MetaMaxPairs)
        {
            problems.Add($"Meta exceeds maximum element count {ServiceValidation.MetaMaxPairs}");
        }

        foreach (var (key, value) in meta.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (System.Text.Encoding.UTF8.GetByteCount(key) > ServiceValidation.MetaKeyMaxLength)
            {
                problems.Add($"Meta key {Q(key)} exceeds maximum length {ServiceValidation.MetaKeyMaxLength}");
            }

            if (System.Text.Encoding.UTF8.GetByteCount(value) > ServiceValidation.MetaValueMaxLength)
            {
                problems.Add($"Meta value for key {Q(key)} exceeds maximum length {ServiceValidation.MetaValueMaxLength}");
            }
        }

        return problems;
    }

    private static int Count(params string?[] values) => values.Count(v => v is not null);

    private static bool IsZero(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!.Length == 0,
        JsonValueKind.Number => value.GetDouble() == 0,
        JsonValueKind.True => false,
        JsonValueKind.Object => value.EnumerateObject().All(p => IsZero(p.Value)),
        JsonValueKind.Array => value.GetArrayLength() == 0,
        _ => true,
    };

    private static string Q(string value) => ConsulErrors.GoQuote(value);

    private static string? Omit(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static IReadOnlyList<T>? Omit<T>(IReadOnlyList<T>? values) => values is { Count: > 0 } ? values : null;

    private static IReadOnlyDictionary<string, T>? Omit<T>(IReadOnlyDictionary<string, T>? values) => values is { Count: > 0 } ? values : null;

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
