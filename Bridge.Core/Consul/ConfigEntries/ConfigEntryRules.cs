using System.Text.RegularExpressions;

namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>
/// Consul's rules for each kind of entry (what <c>consul config write</c> refuses), checked again here: an entry
/// in Consul has passed them, but an older or newer Consul, or a restored snapshot, may hold one that does not, and
/// compiling it anyway could send traffic where nobody meant it to go. Also refused: what the bridge cannot honour
/// (cluster peers, sameness groups, namespaces and partitions other than <c>default</c>).
/// </summary>
internal static partial class ConfigEntryRules
{
    public const string AnySubset = "*";

    private static readonly HashSet<string> HttpMethods = new(StringComparer.Ordinal)
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE",
    };

    private static readonly HashSet<string> RetryConditions = new(StringComparer.Ordinal)
    {
        "5xx", "gateway-error", "reset", "connect-failure", "envoy-ratelimited", "retriable-4xx", "refused-stream",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    };

    private static readonly HashSet<string> LoadBalancerPolicies = new(StringComparer.Ordinal)
    {
        "", "round_robin", "least_request", "ring_hash", "maglev", "random",
    };

    private static readonly HashSet<string> HashFields = new(StringComparer.Ordinal) { "header", "cookie", "query_parameter" };

    private static readonly HashSet<string> FailoverModes = new(StringComparer.Ordinal) { "", "default", "order-by-locality" };

    /// <summary>The first rule <paramref name="entry"/> breaks, saying where; null when it breaks none.</summary>
    public static string? Problem(ConfigEntry entry) => entry switch
    {
        ServiceRouterEntry router => Problem(router),
        ServiceSplitterEntry splitter => Problem(splitter),
        ServiceResolverEntry resolver => Problem(resolver),
        _ => null,
    };

    /// <summary>A weight in Consul's unit, hundredths of a percent, rounded as Consul rounds (half away from zero).</summary>
    public static long ScaledWeight(decimal weight) => (long)Math.Round(weight * 100, MidpointRounding.AwayFromZero);

    private static string? Problem(ServiceRouterEntry router)
    {
        var routes = router.Routes ?? [];
        for (var i = 0; i < routes.Count; i++)
        {
            if (RouteProblem(routes[i]) is { } problem)
            {
                return $"Routes[{i}]{problem}";
            }
        }

        return null;
    }

    private static string? RouteProblem(ServiceRoute route)
    {
        var http = route.Match?.Http;
        var path = http is null ? 0 : Count(Given(http.PathExact), Given(http.PathPrefix), Given(http.PathRegex));
        if (path > 1)
        {
            return ".Match.HTTP: at most one of PathExact, PathPrefix and PathRegex may be set";
        }

        if (Given(http?.PathExact) && !http!.PathExact!.StartsWith('/'))
        {
            return $".Match.HTTP.PathExact: \"{http.PathExact}\" does not start with '/'";
        }

        if (Given(http?.PathPrefix) && !http!.PathPrefix!.StartsWith('/'))
        {
            return $".Match.HTTP.PathPrefix: \"{http.PathPrefix}\" does not start with '/'";
        }

        var headers = http?.Header ?? [];
        for (var j = 0; j < headers.Count; j++)
        {
            var header = headers[j];
            if (!Given(header.Name))
            {
                return $".Match.HTTP.Header[{j}]: Name is required";
            }

            if (Count(header.Present, Given(header.Exact), Given(header.Prefix), Given(header.Suffix), Given(header.Regex)) != 1)
            {
                return $".Match.HTTP.Header[{j}]: exactly one of Present, Exact, Prefix, Suffix and Regex must be set";
            }
        }

        var queryParams = http?.QueryParam ?? [];
        for (var j = 0; j < queryParams.Count; j++)
        {
            var query = queryParams[j];
            if (!Given(query.Name))
            {
                return $".Match.HTTP.QueryParam[{j}]: Name is required";
            }

            if (Count(query.Present, Given(query.Exact), Given(query.Regex)) != 1)
            {
                return $".Match.HTTP.QueryParam[{j}]: exactly one of Present, Exact and Regex must be set";
            }
        }

        var methods = new HashSet<string>(StringComparer.Ordinal);
        foreach (var method in http?.Methods ?? [])
        {
            // Consul upper-cases methods before it checks them.
            var upper = method.ToUpperInvariant();
            if (!HttpMethods.Contains(upper))
            {
                return $".Match.HTTP.Methods: \"{method}\" is not an HTTP method";
            }

            if (!methods.Add(upper))
            {
                return $".Match.HTTP.Methods: \"{upper}\" is listed more than once";
            }
        }

        if (route.Destination is not { } destination)
        {
            return null;
        }

        if (Given(destination.PrefixRewrite) && !Given(http?.PathExact) && !Given(http?.PathPrefix))
        {
            return ".Destination.PrefixRewrite: needs PathExact or PathPrefix in the match";
        }

        if (destination.RequestTimeout < TimeSpan.Zero || destination.IdleTimeout < TimeSpan.Zero)
        {
            return ".Destination: RequestTimeout and IdleTimeout must not be negative";
        }

        foreach (var condition in destination.RetryOn ?? [])
        {
            if (!RetryConditions.Contains(condition))
            {
                return $".Destination.RetryOn: \"{condition}\" is not a retry condition";
            }
        }

        return TenancyProblem(".Destination", destination.Namespace, destination.Partition);
    }

    private static string? Problem(ServiceSplitterEntry splitter)
    {
        var splits = splitter.Splits ?? [];
        if (splits.Count == 0)
        {
            return "Splits: no splits";
        }

        var destinations = new HashSet<(string, string)>();
        long sum = 0;
        for (var i = 0; i < splits.Count; i++)
        {
            var split = splits[i];
            if (split.Weight < 0)
            {
                return $"Splits[{i}].Weight: {split.Weight} is negative";
            }

            var service = Given(split.Service) ? split.Service! : splitter.Name;
            if (!destinations.Add((service, split.ServiceSubset ?? "")))
            {
                return $"Splits[{i}]: service \"{service}\" subset \"{split.ServiceSubset}\" is split to more than once";
            }

            if (TenancyProblem($"Splits[{i}]", split.Namespace, split.Partition) is { } tenancy)
            {
                return tenancy;
            }

            sum += ScaledWeight(split.Weight);
        }

        return sum == 100_00 ? null : $"Splits: the weights sum to {sum / 100m}, not 100";
    }

    private static string? Problem(ServiceResolverEntry resolver)
    {
        var subsets = resolver.Subsets ?? new Dictionary<string, ResolverSubset>();
        foreach (var name in subsets.Keys.Order(StringComparer.Ordinal))
        {
            if (name.Length > 63 || !SubsetName().IsMatch(name))
            {
                return $"Subsets: \"{name}\" is not a valid subset name (1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit)";
            }
        }

        if (Given(resolver.DefaultSubset) && !subsets.ContainsKey(resolver.DefaultSubset!))
        {
            return $"DefaultSubset: \"{resolver.DefaultSubset}\" is not one of the Subsets";
        }

        var failovers = resolver.Failover ?? new Dictionary<string, ResolverFailover>();
        if (resolver.Redirect is { } redirect)
        {
            if (failovers.Count > 0)
            {
                return "Redirect and Failover cannot both be set";
            }

            if (RedirectProblem(resolver, redirect, subsets) is { } problem)
            {
                return "Redirect" + problem;
            }
        }

        foreach (var (key, failover) in failovers.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (FailoverProblem(resolver, key, failover, subsets) is { } problem)
            {
                return $"Failover[\"{key}\"]{problem}";
            }
        }

        if (resolver.ConnectTimeout < TimeSpan.Zero || resolver.RequestTimeout < TimeSpan.Zero)
        {
            return "ConnectTimeout and RequestTimeout must not be negative";
        }

        return resolver.LoadBalancer is { } loadBalancer && LoadBalancerProblem(loadBalancer) is { } lb ? "LoadBalancer" + lb : null;
    }

    private static string? RedirectProblem(ServiceResolverEntry resolver, ResolverRedirect redirect, IReadOnlyDictionary<string, ResolverSubset> subsets)
    {
        if (Given(redirect.Peer))
        {
            return ".Peer: redirects to cluster peers are not supported";
        }

        if (Given(redirect.SamenessGroup))
        {
            return ".SamenessGroup: sameness groups are not supported";
        }

        if (TenancyProblem("", redirect.Namespace, redirect.Partition) is { } tenancy)
        {
            return tenancy;
        }

        if (!Given(redirect.Service) && !Given(redirect.ServiceSubset) && !Given(redirect.Datacenter))
        {
            return ": empty; set Service, ServiceSubset or Datacenter";
        }

        if (!Given(redirect.Service) && Given(redirect.ServiceSubset))
        {
            return ".ServiceSubset: needs Service";
        }

        if (Given(redirect.ServiceSubset) && redirect.Service == resolver.Name && !subsets.ContainsKey(redirect.ServiceSubset!))
        {
            return $".ServiceSubset: \"{redirect.ServiceSubset}\" is not a subset of \"{resolver.Name}\"";
        }

        return null;
    }

    private static string? FailoverProblem(
        ServiceResolverEntry resolver, string key, ResolverFailover failover, IReadOnlyDictionary<string, ResolverSubset> subsets)
    {
        if (key != AnySubset && !subsets.ContainsKey(key))
        {
            return $": \"{key}\" is neither \"*\" nor one of the Subsets";
        }

        var targets = failover.Targets ?? [];
        var datacenters = failover.Datacenters ?? [];
        if (Given(failover.SamenessGroup))
        {
            return ".SamenessGroup: sameness groups are not supported";
        }

        if (!Given(failover.Service) && !Given(failover.ServiceSubset) && !Given(failover.Namespace) && targets.Count == 0 && datacenters.Count == 0)
        {
            return ": empty; set Service, ServiceSubset, Datacenters or Targets";
        }

        if (!FailoverModes.Contains(failover.Policy?.Mode ?? ""))
        {
            return $".Policy.Mode: \"{failover.Policy!.Mode}\" is not one of \"default\" and \"order-by-locality\"";
        }

        if (TenancyProblem("", failover.Namespace, null) is { } tenancy)
        {
            return tenancy;
        }

        if (Given(failover.ServiceSubset) && (!Given(failover.Service) || failover.Service == resolver.Name) && !subsets.ContainsKey(failover.ServiceSubset!))
        {
            return $".ServiceSubset: \"{failover.ServiceSubset}\" is not a subset of \"{resolver.Name}\"";
        }

        if (targets.Count > 0 && (datacenters.Count > 0 || Given(failover.Service) || Given(failover.ServiceSubset)))
        {
            return ".Targets: cannot be set with Datacenters, Service or ServiceSubset";
        }

        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (Given(target.Peer))
            {
                return $".Targets[{i}].Peer: failover to cluster peers is not supported";
            }

            if (TenancyProblem($".Targets[{i}]", target.Namespace, target.Partition) is { } targetTenancy)
            {
                return targetTenancy;
            }

            if (Given(target.ServiceSubset) && (!Given(target.Service) || target.Service == resolver.Name) && !subsets.ContainsKey(target.ServiceSubset!))
            {
                return $".Targets[{i}].ServiceSubset: \"{target.ServiceSubset}\" is not a subset of \"{resolver.Name}\"";
            }
        }

        return datacenters.Any(dc => !Given(dc)) ? ".Datacenters: an empty datacenter name" : null;
    }

    private static string? LoadBalancerProblem(ResolverLoadBalancer lb)
    {
        var policy = lb.Policy ?? "";
        if (!LoadBalancerPolicies.Contains(policy))
        {
            return $".Policy: \"{policy}\" is not one of round_robin, least_request, ring_hash, maglev and random";
        }

        if (lb.RingHashConfig is not null && policy != "ring_hash")
        {
            return $".RingHashConfig: only for ring_hash, not \"{policy}\"";
        }

        if (lb.LeastRequestConfig is not null && policy != "least_request")
        {
            return $".LeastRequestConfig: only for least_request, not \"{policy}\"";
        }

        var hashPolicies = lb.HashPolicies ?? [];
        if (hashPolicies.Count > 0 && policy is not ("ring_hash" or "maglev"))
        {
            return $".HashPolicies: only for ring_hash and maglev, not \"{policy}\"";
        }

        for (var i = 0; i < hashPolicies.Count; i++)
        {
            var hash = hashPolicies[i];
            var where = $".HashPolicies[{i}]";
            var field = hash.Field ?? "";
            if (field.Length > 0 && !HashFields.Contains(field))
            {
                return $"{where}.Field: \"{field}\" is not one of header, cookie and query_parameter";
            }

            if (hash.SourceIP && (field.Length > 0 || Given(hash.FieldValue)))
            {
                return $"{where}: SourceIP cannot be set with Field or FieldValue";
            }

            if (field.Length > 0 != Given(hash.FieldValue))
            {
                return $"{where}: Field and FieldValue go together";
            }

            if (hash.CookieConfig is { } cookie)
            {
                if (field != "cookie")
                {
                    return $"{where}.CookieConfig: only for Field cookie";
                }

                if (cookie.Session && cookie.TTL != TimeSpan.Zero)
                {
                    return $"{where}.CookieConfig: a session cookie has no TTL";
                }

                if (cookie.TTL < TimeSpan.Zero)
                {
                    return $"{where}.CookieConfig.TTL: must not be negative";
                }
            }
        }

        return null;
    }

    /// <summary>Namespaces and partitions other than <c>default</c> (Consul Enterprise) are not served by the bridge.</summary>
    private static string? TenancyProblem(string where, string? ns, string? partition)
    {
        if (Given(ns) && ns != "default")
        {
            return $"{where}.Namespace: \"{ns}\": namespaces other than default are not supported";
        }

        return Given(partition) && partition != "default"
            ? $"{where}.Partition: \"{partition}\": partitions other than default are not supported"
            : null;
    }

    private static bool Given(string? value) => !string.IsNullOrEmpty(value);

    private static int Count(params ReadOnlySpan<bool> flags)
    {
        var count = 0;
        foreach (var flag in flags)
        {
            count += flag ? 1 : 0;
        }

        return count;
    }

    [GeneratedRegex(@"^[a-z0-9]([a-z0-9-]*[a-z0-9])?\z")]
    private static partial Regex SubsetName();
}
