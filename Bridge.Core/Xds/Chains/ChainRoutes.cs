using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul.ConfigEntries;
using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using ChainHashPolicy = Bridge.Core.Catalog.Chains.HashPolicy;
using ChainHeaderValue = Bridge.Core.Catalog.Chains.HeaderValue;
using ChainRetryPolicy = Bridge.Core.Catalog.Chains.RetryPolicy;
using ChainRouteMatch = Bridge.Core.Catalog.Chains.RouteMatch;
using EnvoyHashPolicy = Envoy.Config.Route.V3.RouteAction.Types.HashPolicy;
using EnvoyRetryPolicy = Envoy.Config.Route.V3.RetryPolicy;
using EnvoyRouteMatch = Envoy.Config.Route.V3.RouteMatch;

namespace Bridge.Core.Xds.Chains;

/// <summary>
/// One rule of a chain as a route, for Envoy as Consul renders it for its own sidecars (<c>agent/xds/routes.go</c>),
/// and for proxyless gRPC as far as gRPC routing goes (gRFCs A28, A31, A42, A44).
/// </summary>
internal static class ChainRoutes
{
    /// <summary>The filter-state key gRPC hashes in place of the source address: one hash per channel (gRFC A42).</summary>
    public const string GrpcChannelIdKey = "io.grpc.channel_id";

    /// <summary>The retry conditions gRPC clients understand (gRFC A44): gRPC status codes.</summary>
    private static readonly string[] GrpcRetryCodes = ["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"];

    /// <summary>Envoy conditions that a gRPC client sees as status UNAVAILABLE.</summary>
    private static readonly string[] UnavailableConditions = ["connect-failure", "reset", "refused-stream"];

    public static Route Envoy(DiscoveryChain chain, RouteRule rule, Notes notes)
    {
        var match = Match(rule.Match, ClientKind.Envoy);
        match.QueryParameters.Add(rule.Match.QueryParams.Select(QueryParameter));
        if (rule.Match.Methods.Count > 0)
        {
            // As Consul does: one regex over the :method pseudo-header.
            match.Headers.Add(new HeaderMatcher
            {
                Name = ":method",
                StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = string.Join('|', rule.Match.Methods) } },
            });
        }

        var action = new RouteAction();
        Destination(chain, rule.Destination, action, ClientKind.Envoy, notes);
        if (rule.PrefixRewrite is { } rewrite)
        {
            action.PrefixRewrite = rewrite;
        }

        if (RequestTimeout(chain, rule) is { } timeout)
        {
            action.Timeout = Duration.FromTimeSpan(timeout);
        }

        if (rule.IdleTimeout is { } idle)
        {
            action.IdleTimeout = Duration.FromTimeSpan(idle);
        }

        if (rule.Retry is { } retry)
        {
            action.RetryPolicy = EnvoyRetry(retry);
        }

        action.HashPolicy.Add(HashPolicies(chain, rule.Destination, notes).Select(EnvoyHash));

        var route = new Route { Match = match, Route_ = action };
        Changes(rule.RequestHeaders, route.RequestHeadersToAdd, route.RequestHeadersToRemove);
        Changes(rule.ResponseHeaders, route.ResponseHeadersToAdd, route.ResponseHeadersToRemove);
        return route;
    }

    /// <summary>The rule as a gRPC client can take it, or null when a gRPC request could never match it as written.</summary>
    public static Route? Grpc(DiscoveryChain chain, RouteRule rule, Notes notes, bool hashing)
    {
        if (rule.Match.QueryParams.Count > 0)
        {
            // gRPC clients would ignore the matcher and take the route for every request it otherwise matches.
            notes.Add("the route matches query parameters, which gRPC requests have none of: it is not sent");
            return null;
        }

        if (rule.Match.Methods.Count > 0 && !rule.Match.Methods.Contains("POST"))
        {
            notes.Add($"the route matches methods {string.Join(", ", rule.Match.Methods)}, and every gRPC request is a POST: it is not sent");
            return null;
        }

        // A method list holding POST matches every gRPC request: the matcher is left out, since gRPC never matches :method.
        var action = new RouteAction();
        Destination(chain, rule.Destination, action, ClientKind.Grpc, notes);
        if (rule.PrefixRewrite is not null)
        {
            notes.Add($"prefix rewrite to \"{rule.PrefixRewrite}\" is not applied by gRPC clients: not sent");
        }

        if (RequestTimeout(chain, rule) is { } timeout)
        {
            // gRPC ignores route.timeout (gRFC A31).
            action.MaxStreamDuration = new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = Duration.FromTimeSpan(timeout) };
        }

        if (rule.IdleTimeout is { } idle)
        {
            notes.Add($"idle timeout {idle} is not applied by gRPC clients: not sent");
        }

        if (rule.Retry is { } retry && GrpcRetry(retry, notes) is { } policy)
        {
            action.RetryPolicy = policy;
        }

        if (hashing)
        {
            foreach (var hash in HashPolicies(chain, rule.Destination, notes))
            {
                if (GrpcHash(hash) is { } grpcHash)
                {
                    action.HashPolicy.Add(grpcHash);
                }
                else
                {
                    notes.Add($"hash policy on {HashName(hash)} is not evaluated by gRPC clients (only headers and the source address, as the channel): not sent");
                }
            }
        }

        if (!rule.RequestHeaders.IsEmpty || !rule.ResponseHeaders.IsEmpty)
        {
            notes.Add("request and response header changes are not applied by gRPC clients: not sent");
        }

        return new Route { Match = Match(rule.Match, ClientKind.Grpc), Route_ = action };
    }

    /// <summary>The path and header criteria, which both kinds take.</summary>
    private static EnvoyRouteMatch Match(ChainRouteMatch match, ClientKind kind)
    {
        var envoy = match.Path.Kind switch
        {
            PathMatchKind.Exact => new EnvoyRouteMatch { Path = match.Path.Value },
            PathMatchKind.Regex => new EnvoyRouteMatch { SafeRegex = new RegexMatcher { Regex = match.Path.Value } },
            _ => new EnvoyRouteMatch { Prefix = match.Path.Value },
        };
        envoy.Headers.Add(match.Headers.Select(h => kind == ClientKind.Envoy ? Header(h) : GrpcHeader(h)));
        return envoy;
    }

    private static HeaderMatcher Header(HeaderMatch header)
    {
        var matcher = new HeaderMatcher { Name = header.Name, InvertMatch = header.Invert };
        if (header.Kind == HeaderMatchKind.Present)
        {
            matcher.PresentMatch = true;
        }
        else
        {
            matcher.StringMatch = header.Kind switch
            {
                HeaderMatchKind.Exact => new StringMatcher { Exact = header.Value },
                HeaderMatchKind.Prefix => new StringMatcher { Prefix = header.Value },
                HeaderMatchKind.Suffix => new StringMatcher { Suffix = header.Value },
                _ => new StringMatcher { SafeRegex = new RegexMatcher { Regex = header.Value } },
            };
        }

        return matcher;
    }

    /// <summary>
    /// gRPC C-core 1.51 knows only the header matchers string_match replaced (it rejects the whole RouteConfiguration
    /// for a string_match); grpc-js reads both.
    /// </summary>
    private static HeaderMatcher GrpcHeader(HeaderMatch header)
    {
        var matcher = new HeaderMatcher { Name = header.Name, InvertMatch = header.Invert };
        switch (header.Kind)
        {
            case HeaderMatchKind.Present:
                matcher.PresentMatch = true;
                break;
            case HeaderMatchKind.Exact:
                matcher.ExactMatch = header.Value;
                break;
            case HeaderMatchKind.Prefix:
                matcher.PrefixMatch = header.Value;
                break;
            case HeaderMatchKind.Suffix:
                matcher.SuffixMatch = header.Value;
                break;
            default:
                matcher.SafeRegexMatch = new RegexMatcher { Regex = header.Value };
                break;
        }

        return matcher;
    }

    private static QueryParameterMatcher QueryParameter(QueryParamMatch query)
    {
        var matcher = new QueryParameterMatcher { Name = query.Name };
        switch (query.Kind)
        {
            case QueryParamMatchKind.Present:
                matcher.PresentMatch = true;
                break;
            case QueryParamMatchKind.Exact:
                matcher.StringMatch = new StringMatcher { Exact = query.Value };
                break;
            default:
                matcher.StringMatch = new StringMatcher { SafeRegex = new RegexMatcher { Regex = query.Value } };
                break;
        }

        return matcher;
    }

    /// <summary>
    /// One cluster, or weighted clusters in hundredths of a percent (90/10 is 9000/1000) with the total set to their
    /// sum: Envoys before 1.24 and grpc-js 1.14.0 take 100 when it is unset. Splits with no weight are left out, and
    /// splits that end up in one cluster with the same header changes are merged.
    /// </summary>
    private static void Destination(DiscoveryChain chain, RouteDestination destination, RouteAction action, ClientKind kind, Notes notes)
    {
        if (destination is TargetDestination single)
        {
            action.Cluster = ChainTranslator.RoutedCluster(chain, single.Target);
            return;
        }

        var splits = ((SplitDestination)destination).Splits;
        var weighted = new WeightedCluster();
        var merged = new List<(string Cluster, HeaderChanges Request, HeaderChanges Response, uint Weight)>();
        foreach (var split in splits)
        {
            var weight = (uint)ConfigEntryRules.ScaledWeight(split.Weight);
            if (weight == 0)
            {
                continue;
            }

            var cluster = ChainTranslator.RoutedCluster(chain, split.Target);
            var (request, response) = kind == ClientKind.Envoy ? (split.RequestHeaders, split.ResponseHeaders) : (HeaderChanges.None, HeaderChanges.None);
            var same = merged.FindIndex(m => m.Cluster == cluster && m.Request == request && m.Response == response);
            if (same >= 0)
            {
                merged[same] = merged[same] with { Weight = merged[same].Weight + weight };
            }
            else
            {
                merged.Add((cluster, request, response, weight));
            }
        }

        if (kind == ClientKind.Grpc && splits.Any(s => !s.RequestHeaders.IsEmpty || !s.ResponseHeaders.IsEmpty))
        {
            notes.Add("header changes of the splits are not applied by gRPC clients: not sent");
        }

        foreach (var (cluster, request, response, weight) in merged)
        {
            var clusterWeight = new WeightedCluster.Types.ClusterWeight { Name = cluster, Weight = weight };
            Changes(request, clusterWeight.RequestHeadersToAdd, clusterWeight.RequestHeadersToRemove);
            Changes(response, clusterWeight.ResponseHeadersToAdd, clusterWeight.ResponseHeadersToRemove);
            weighted.Clusters.Add(clusterWeight);
        }

        weighted.TotalWeight = (uint)merged.Sum(m => (long)m.Weight);
        action.WeightedClusters = weighted;
    }

    /// <summary>The route's own, else (for a route to one target) the target's resolver's, as Consul does.</summary>
    private static TimeSpan? RequestTimeout(DiscoveryChain chain, RouteRule rule) =>
        rule.RequestTimeout ?? (rule.Destination is TargetDestination single ? chain.Target(single.Target).RequestTimeout : null);

    private static EnvoyRetryPolicy EnvoyRetry(ChainRetryPolicy retry)
    {
        var conditions = retry.RetryOn.ToList();
        if (retry.RetryOnConnectFailure)
        {
            conditions.Add("connect-failure");
        }

        if (retry.RetryOnStatusCodes.Count > 0)
        {
            conditions.Add("retriable-status-codes");
        }

        var policy = new EnvoyRetryPolicy { RetryOn = string.Join(',', conditions.Distinct(StringComparer.Ordinal)) };
        if (retry.NumRetries > 0)
        {
            policy.NumRetries = retry.NumRetries;
        }

        policy.RetriableStatusCodes.Add(retry.RetryOnStatusCodes);
        return policy;
    }

    /// <summary>
    /// gRPC retries on status codes only (gRFC A44): Envoy's gRPC conditions carry over, connect failures and resets
    /// become <c>unavailable</c>, HTTP conditions and statuses cannot be said. At least one retry (0 is refused; it
    /// means Envoy's default, 1), at most 4 (gRPC makes 5 attempts at most).
    /// </summary>
    private static EnvoyRetryPolicy? GrpcRetry(ChainRetryPolicy retry, Notes notes)
    {
        var codes = new List<string>();
        var dropped = new List<string>();
        foreach (var condition in retry.RetryOn)
        {
            var code = GrpcRetryCodes.Contains(condition) ? condition : UnavailableConditions.Contains(condition) ? "unavailable" : null;
            if (code is null)
            {
                dropped.Add(condition);
            }
            else if (!codes.Contains(code))
            {
                codes.Add(code);
            }
        }

        if (retry.RetryOnConnectFailure && !codes.Contains("unavailable"))
        {
            codes.Add("unavailable");
        }

        if (dropped.Count > 0)
        {
            notes.Add($"retry conditions {string.Join(", ", dropped)} have no gRPC status code: gRPC clients do not retry on them");
        }

        if (retry.RetryOnStatusCodes.Count > 0)
        {
            notes.Add($"retries on HTTP statuses {string.Join(", ", retry.RetryOnStatusCodes)} cannot be expressed for gRPC clients");
        }

        if (codes.Count == 0)
        {
            notes.Add("no retry condition is a gRPC status code: no retry policy is sent");
            return null;
        }

        var retries = Math.Max(1u, retry.NumRetries);
        if (retries > 4)
        {
            notes.Add($"{retries} retries are capped at 4: gRPC clients make at most 5 attempts");
            retries = 4;
        }

        return new EnvoyRetryPolicy { RetryOn = string.Join(',', codes), NumRetries = retries };
    }

    /// <summary>
    /// The hash policies of the route's targets' load balancers (hash-based ones only). A hash is taken per request,
    /// not per cluster, so a split whose targets hash differently gets none.
    /// </summary>
    private static IReadOnlyList<ChainHashPolicy> HashPolicies(DiscoveryChain chain, RouteDestination destination, Notes notes)
    {
        IEnumerable<TargetId> targets = destination is TargetDestination single ? [single.Target] : ((SplitDestination)destination).Splits.Select(s => s.Target).Distinct();
        var policies = targets
            .Select(t => chain.Target(t).LoadBalancer is { IsHashBased: true } balancer ? balancer.HashPolicies : [])
            .Distinct()
            .ToList();
        if (policies.Count == 1)
        {
            return policies[0];
        }

        notes.Add("the split's targets hash requests differently: no hash policy is sent");
        return [];
    }

    private static EnvoyHashPolicy EnvoyHash(ChainHashPolicy hash)
    {
        var policy = new EnvoyHashPolicy { Terminal = hash.Terminal };
        switch (hash.Kind)
        {
            case HashPolicyKind.Header:
                policy.Header = new EnvoyHashPolicy.Types.Header { HeaderName = hash.Name };
                break;
            case HashPolicyKind.Cookie:
                var cookie = new EnvoyHashPolicy.Types.Cookie { Name = hash.Name, Path = hash.Cookie?.Path ?? "" };

                // A TTL of zero asks Envoy for a session cookie.
                if (hash.Cookie is { } config && (config.Session || config.Ttl is not null))
                {
                    cookie.Ttl = Duration.FromTimeSpan(config.Session ? TimeSpan.Zero : config.Ttl!.Value);
                }

                policy.Cookie = cookie;
                break;
            case HashPolicyKind.QueryParameter:
                policy.QueryParameter = new EnvoyHashPolicy.Types.QueryParameter { Name = hash.Name };
                break;
            case HashPolicyKind.SourceIp:
                policy.ConnectionProperties = new EnvoyHashPolicy.Types.ConnectionProperties { SourceIp = true };
                break;
        }

        return policy;
    }

    /// <summary>A header as itself; the source address as the channel (gRFC A42); nothing else.</summary>
    private static EnvoyHashPolicy? GrpcHash(ChainHashPolicy hash) => hash.Kind switch
    {
        HashPolicyKind.Header => new EnvoyHashPolicy { Header = new EnvoyHashPolicy.Types.Header { HeaderName = hash.Name }, Terminal = hash.Terminal },
        HashPolicyKind.SourceIp => new EnvoyHashPolicy { FilterState = new EnvoyHashPolicy.Types.FilterState { Key = GrpcChannelIdKey }, Terminal = hash.Terminal },
        _ => null,
    };

    private static string HashName(ChainHashPolicy hash) => hash.Kind switch
    {
        HashPolicyKind.Cookie => $"cookie {hash.Name}",
        HashPolicyKind.QueryParameter => $"query parameter {hash.Name}",
        HashPolicyKind.Header => $"header {hash.Name}",
        _ => "the source address",
    };

    /// <summary>Consul's Add appends to a header already there; Set replaces it.</summary>
    private static void Changes(HeaderChanges changes, RepeatedField<HeaderValueOption> add, RepeatedField<string> remove)
    {
        add.Add(changes.Add.Select(h => Option(h, HeaderValueOption.Types.HeaderAppendAction.AppendIfExistsOrAdd)));
        add.Add(changes.Set.Select(h => Option(h, HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd)));
        remove.Add(changes.Remove);
    }

    private static HeaderValueOption Option(ChainHeaderValue header, HeaderValueOption.Types.HeaderAppendAction action) => new()
    {
        Header = new Envoy.Config.Core.V3.HeaderValue { Key = header.Name, Value = header.Value },
        AppendAction = action,
    };
}
