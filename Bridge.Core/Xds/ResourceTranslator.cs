using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using UpstreamHttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;
using Google.Protobuf.WellKnownTypes;
using SocketAddress = Envoy.Config.Core.V3.SocketAddress;

namespace Bridge.Core.Xds;

/// <summary>
/// The one place where Consul's vocabulary becomes Envoy's: a service becomes an EDS Cluster and a
/// ClusterLoadAssignment named after it, its instances become endpoints grouped by locality.
/// </summary>
internal sealed class ResourceTranslator
{
    private readonly XdsOptions _options;
    private readonly ILogger _logger;

    /// <param name="reported">Case collisions already logged, shared by the translators of one cache so that a reload does not repeat them.</param>
    public ResourceTranslator(XdsOptions options, ILogger logger, HashSet<string>? reported = null)
    {
        _options = options;
        _logger = logger;
        _caseCollisionsReported = reported ?? new HashSet<string>(StringComparer.Ordinal);
    }

    /// <summary>The name of Envoy's outbound listener and of its RouteConfiguration.</summary>
    public string EnvoyListenerName => _options.EnvoyListenerName;

    /// <summary>Whether gRPC clients are given ring hash (see <see cref="XdsOptions.GrpcRingHash"/>).</summary>
    public bool GrpcRingHash => _options.GrpcRingHash;

    /// <summary>
    /// One EDS cluster per service, shaped by the service's meta. A policy a client kind cannot use is not sent
    /// to it: gRPC clients NACK LEAST_REQUEST, RANDOM and MAGLEV, so they get ROUND_ROBIN instead. They get it for
    /// RING_HASH too: with no hash policy on their routes, ring hash hashes each RPC at random and gives them no
    /// affinity, and gRPC C-core 1.50 and 1.51 (Debian 12's gRPC) crash with SIGSEGV on the first RPC it picks.
    /// </summary>
    public Cluster Cluster(CatalogService service, ServicePolicy policy, ClientKind kind)
    {
        var cluster = new Cluster
        {
            Name = service.Name,
            Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds,
            EdsClusterConfig = new Envoy.Config.Cluster.V3.Cluster.Types.EdsClusterConfig
            {
                EdsConfig = AdsConfigSource(),
                ServiceName = service.Name,
            },
            ConnectTimeout = Duration.FromTimeSpan(policy.ConnectTimeout ?? _options.ConnectTimeout),
        };

        switch (policy.LoadBalancing)
        {
            case LoadBalancing.RoundRobin:
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin;
                break;
            case var other when kind == ClientKind.Grpc:
                XdsLog.PolicyNotSupported(_logger, service.Name, other.ToString());
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin;
                break;
            case LoadBalancing.RingHash:
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash;
                cluster.RingHashLbConfig = new Envoy.Config.Cluster.V3.Cluster.Types.RingHashLbConfig
                {
                    HashFunction = Envoy.Config.Cluster.V3.Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash,
                };
                break;
            case LoadBalancing.LeastRequest:
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.LeastRequest;
                break;
            case LoadBalancing.Random:
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.Random;
                break;
            case LoadBalancing.Maglev:
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.Maglev;
                break;
        }

        if (policy.HasOutlierDetection)
        {
            cluster.OutlierDetection = Outlier(
                new OutlierDetection
                {
                    Consecutive5Xx = policy.OutlierConsecutive5xx,
                    Interval = policy.OutlierInterval is { } interval ? Duration.FromTimeSpan(interval) : null,
                    BaseEjectionTime = policy.OutlierBaseEjectionTime is { } ejection ? Duration.FromTimeSpan(ejection) : null,
                    MaxEjectionPercent = policy.OutlierMaxEjectionPercent,
                },
                kind);
        }

        // gRPC clients always speak HTTP/2; Envoy must be told, through the upstream protocol options extension.
        if (kind == ClientKind.Envoy && policy.Protocol is UpstreamProtocol.Http2 or UpstreamProtocol.Grpc)
        {
            cluster.TypedExtensionProtocolOptions[UpstreamHttpProtocolOptionsKey] = Any.Pack(new UpstreamHttpProtocolOptions
            {
                ExplicitHttpConfig = new UpstreamHttpProtocolOptions.Types.ExplicitHttpConfig { Http2ProtocolOptions = new Http2ProtocolOptions() },
            });
        }

        return cluster;
    }

    /// <summary>An outlier detection as <paramref name="kind"/> is sent it.</summary>
    internal static OutlierDetection Outlier(OutlierDetection detection, ClientKind kind)
    {
        if (kind == ClientKind.Grpc)
        {
            // gRPC turns an OutlierDetection into success-rate ejection (gRFC A50). grpc-js-xds 1.14 copies each
            // unset parameter as undefined over its defaults, and its ejection timer then throws an uncaught
            // TypeError that ends the application. Envoy's defaults, spelled out, mean the same.
            detection.EnforcingSuccessRate = 100;
            detection.SuccessRateMinimumHosts = 5;
            detection.SuccessRateRequestVolume = 100;
            detection.SuccessRateStdevFactor = 1900;
        }

        return detection;
    }

    internal const string UpstreamHttpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    internal const string HttpConnectionManagerFilterName = "envoy.filters.network.http_connection_manager";
    internal const string RouterFilterName = "envoy.filters.http.router";

    /// <summary>
    /// A proxyless gRPC client resolves <c>xds:///service</c> by asking for a Listener named after the service:
    /// an API listener whose connection manager fetches a RouteConfiguration of the same name over ADS.
    /// </summary>
    public static Listener GrpcListener(string service, string? routeName = null) => new()
    {
        Name = service,
        ApiListener = new ApiListener { ApiListener_ = Any.Pack(ConnectionManager(routeName ?? service, routeName ?? service)) },
    };

    /// <summary>The service of a <c>service:port</c> listener name (<c>xds:///web:8080</c>), or null for any other name.</summary>
    public static string? PortedService(string name)
    {
        var colon = name.LastIndexOf(':');
        return colon > 0 && ushort.TryParse(name.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? name[..colon]
            : null;
    }

    /// <summary>The route of a gRPC listener: every call to the service (with or without a port) goes to its cluster.</summary>
    public static RouteConfiguration GrpcRoute(string service) => new()
    {
        Name = service,
        VirtualHosts = { VirtualHost(service, [service, $"{service}:*"]) },
    };

    /// <summary>Envoy's outbound HTTP listener: one connection manager whose routes name every service.</summary>
    public Listener EnvoyListener() => new()
    {
        Name = _options.EnvoyListenerName,
        Address = new Address
        {
            SocketAddress = new SocketAddress { Address = _options.EnvoyListenerAddress, PortValue = (uint)_options.EnvoyListenerPort },
        },
        FilterChains =
        {
            new FilterChain
            {
                Filters =
                {
                    new Filter
                    {
                        Name = HttpConnectionManagerFilterName,
                        TypedConfig = Any.Pack(ConnectionManager(_options.EnvoyListenerName, _options.EnvoyListenerName)),
                    },
                },
            },
        },
    };

    /// <summary>
    /// One virtual host per service, answering its name and its Consul DNS name, with and without a port. Envoy
    /// compares domains without case and rejects a route configuration that repeats one, and Consul looks services up
    /// without case too: services whose names differ only in case share one virtual host, routed to the first of
    /// them in ordinal order (Consul answers the same instances for every spelling). A name that cannot be a domain
    /// (a <c>*</c> inside it) gets no virtual host; its cluster is still served.
    /// </summary>
    public RouteConfiguration EnvoyRoute(IEnumerable<string> services)
    {
        var route = new RouteConfiguration { Name = _options.EnvoyListenerName };
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in services.GroupBy(s => s.ToLowerInvariant(), StringComparer.Ordinal))
        {
            var spellings = group.Order(StringComparer.Ordinal).ToList();
            if (spellings.Count > 1)
            {
                ReportCaseCollision(group.Key, spellings);
            }

            var service = spellings[0];
            var name = group.Key;
            if (name.Contains('*', StringComparison.Ordinal))
            {
                continue;
            }

            // A name such as "web.service.consul" would claim another service's DNS domain: the first claim wins.
            var dns = $"{name}.service.consul";
            var domains = new[] { name, $"{name}:*", dns, $"{dns}:*" }.Where(claimed.Add).ToArray();
            if (domains.Length > 0)
            {
                route.VirtualHosts.Add(VirtualHost(service, domains));
            }
        }

        return route;
    }

    private readonly HashSet<string> _caseCollisionsReported;

    private void ReportCaseCollision(string key, List<string> spellings)
    {
        lock (_caseCollisionsReported)
        {
            if (_caseCollisionsReported.Count < 10_000 && _caseCollisionsReported.Add(string.Join('\0', spellings)))
            {
                XdsLog.ServiceNamesDifferInCase(_logger, string.Join(", ", spellings), spellings[0]);
            }
        }
    }

    private static VirtualHost VirtualHost(string service, string[] domains) => new()
    {
        Name = service,
        Domains = { domains },
        Routes =
        {
            new Route
            {
                Match = new RouteMatch { Prefix = "" },
                Route_ = new RouteAction { Cluster = service },
            },
        },
    };

    private static HttpConnectionManager ConnectionManager(string statPrefix, string routeName) => new()
    {
        StatPrefix = statPrefix,
        Rds = new Rds { ConfigSource = AdsConfigSource(), RouteConfigName = routeName },
        HttpFilters =
        {
            new HttpFilter { Name = RouterFilterName, TypedConfig = Any.Pack(new Router()) },
        },
    };

    /// <summary>An assignment with no endpoints, for a name that is requested but has no service.</summary>
    public static ClusterLoadAssignment EmptyAssignment(string name) => new() { ClusterName = name };

    /// <summary>The field named for an instance left out because another instance has its address and port.</summary>
    internal const string DuplicateAddressField = "address:port";

    /// <summary>The most an endpoint weighs: Consul's own Envoy configuration clamps weights to 1-128 the same way.</summary>
    internal const uint MaxEndpointWeight = 128;

    /// <summary>
    /// Endpoints are grouped by locality (region = datacenter, zone from node meta). Within a zone, endpoints
    /// of different weights go to separate sub-zones whose weight is the sum of theirs: clients that balance
    /// by locality first and round-robin inside one (gRPC's default) then honour Consul's weights too. Instances
    /// that cannot be endpoints (a port outside 1-65535, an address that is not an IP literal, an address:port
    /// another instance already has) are left out and listed in <paramref name="leftOut"/>.
    /// </summary>
    public ClusterLoadAssignment Assignment(CatalogService service, List<SkippedInstance>? leftOut = null)
    {
        var cla = new ClusterLoadAssignment { ClusterName = service.Name };
        var candidates = new List<(ServiceInstance Instance, IPAddress Ip, uint Weight, HealthStatus Health)>();
        foreach (var instance in service.Instances)
        {
            if (TryEndpoint(instance, leftOut, out var ip, out var weight, out var health) is { } candidate)
            {
                candidates.Add(candidate);
            }
        }

        // Two instances at one address:port (the same process registered on two nodes): keep the healthiest, then
        // the first by node; proxies reject a repeated address.
        var kept = new Dictionary<(string, long), (ServiceInstance Instance, IPAddress Ip, uint Weight, HealthStatus Health)>();
        foreach (var candidate in candidates)
        {
            var key = (candidate.Ip.ToString(), candidate.Instance.Port);
            if (!kept.TryGetValue(key, out var other))
            {
                kept[key] = candidate;
                continue;
            }

            var (winner, loser) = Rank(candidate.Health) < Rank(other.Health) ? (candidate, other) : (other, candidate);
            kept[key] = winner;
            leftOut?.Add(new SkippedInstance(loser.Instance.Key.Node, loser.Instance.Key.ServiceId, DuplicateAddressField, $"{FormatHost(loser.Ip)}:{loser.Instance.Port}"));
        }

        var groups = new SortedDictionary<(string Dc, string Zone), List<(ServiceInstance Instance, IPAddress Ip, uint Weight, HealthStatus Health)>>();
        foreach (var candidate in candidates.Where(c => kept[(c.Ip.ToString(), c.Instance.Port)].Instance == c.Instance))
        {
            var zone = candidate.Instance.NodeMeta.GetValueOrDefault(_options.ZoneNodeMetaKey, "");
            var key = (candidate.Instance.Datacenter, zone);
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
            }

            list.Add(candidate);
        }

        var totals = new List<ulong>();
        foreach (var ((dc, zone), members) in groups)
        {
            var byWeight = members.GroupBy(m => m.Weight).OrderBy(g => g.Key).ToList();
            foreach (var weightClass in byWeight)
            {
                var locality = new LocalityLbEndpoints
                {
                    Locality = new Locality { Region = dc, Zone = zone, SubZone = byWeight.Count > 1 ? $"weight-{weightClass.Key}" : "" },
                    Priority = 0,
                };
                ulong total = 0;
                foreach (var (instance, ip, weight, health) in weightClass)
                {
                    locality.LbEndpoints.Add(new LbEndpoint
                    {
                        Endpoint = new Endpoint
                        {
                            Address = new Address { SocketAddress = new SocketAddress { Address = ip.ToString(), PortValue = (uint)instance.Port } },
                        },
                        HealthStatus = health,
                        LoadBalancingWeight = weight,
                    });
                    if (health == HealthStatus.Healthy)
                    {
                        total += weight;
                    }
                }

                // A locality weight must be at least 1, and one without weight is dropped by gRPC clients.
                totals.Add(Math.Max(1, total));
                cla.Endpoints.Add(locality);
            }
        }

        // gRPC rejects a priority whose locality weights sum past 2^32-1. With endpoints at most 128 each that takes
        // over 33 million endpoints; should it ever happen, every locality is scaled down alike.
        var sum = totals.Aggregate(0UL, (a, b) => a + b);
        var divisor = sum > uint.MaxValue ? (sum / uint.MaxValue) + 1 : 1;
        for (var i = 0; i < cla.Endpoints.Count; i++)
        {
            cla.Endpoints[i].LoadBalancingWeight = (uint)Math.Max(1, totals[i] / divisor);
        }

        return cla;
    }

    /// <summary>Lower is healthier: HEALTHY, then UNHEALTHY (served only with Xds:Unhealthy=Unhealthy).</summary>
    private static int Rank(HealthStatus health) => health == HealthStatus.Healthy ? 0 : 1;

    private (ServiceInstance, IPAddress, uint, HealthStatus)? TryEndpoint(
        ServiceInstance instance, List<SkippedInstance>? leftOut, out IPAddress ip, out uint weight, out HealthStatus health)
    {
        ip = IPAddress.None;
        weight = 0;
        health = HealthStatus.Unknown;
        if (instance.Port is < 1 or > 65535)
        {
            leftOut?.Add(new SkippedInstance(instance.Key.Node, instance.Key.ServiceId, "port", instance.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            return null;
        }

        if (!TryParseIpLiteral(instance.Address, out ip))
        {
            leftOut?.Add(new SkippedInstance(instance.Key.Node, instance.Key.ServiceId, "address", instance.Address));
            return null;
        }

        long consulWeight;
        switch (instance.Health)
        {
            case HealthState.Passing:
                health = HealthStatus.Healthy;
                consulWeight = instance.PassingWeight;
                break;
            case HealthState.Warning when _options.Warning == WarningMapping.Healthy:
                health = HealthStatus.Healthy;
                consulWeight = instance.WarningWeight;
                break;
            case HealthState.Warning:
                return null;
            default:
                if (_options.Unhealthy == UnhealthyMapping.Exclude)
                {
                    return null;
                }

                health = HealthStatus.Unhealthy;
                consulWeight = Math.Max(1, instance.PassingWeight);
                break;
        }

        if (consulWeight < 1)
        {
            // Consul allows a weight of 0 for warning instances: they should receive nothing.
            return null;
        }

        weight = (uint)Math.Min(consulWeight, MaxEndpointWeight);
        return (instance, ip, weight, health);
    }

    /// <summary>Only IPv4 dotted quads and IPv6 literals: proxies reject host names in EDS, and .NET would read "1" as 0.0.0.1.</summary>
    internal static bool TryParseIpLiteral(string address, out IPAddress ip)
    {
        ip = IPAddress.None;
        if (string.IsNullOrEmpty(address) || !IPAddress.TryParse(address, out var parsed))
        {
            return false;
        }

        // Only the canonical dotted quad: .NET also reads octal and hex parts ("010.1.2.3" as 8.1.2.3), which
        // would send traffic to an address nobody registered.
        if (parsed.AddressFamily == AddressFamily.InterNetwork && parsed.ToString() != address)
        {
            return false;
        }

        if (parsed.AddressFamily == AddressFamily.InterNetworkV6 && (!address.Contains(':') || parsed.ScopeId != 0))
        {
            return false;
        }

        ip = parsed;
        return true;
    }

    private static string FormatHost(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString();

    internal static ConfigSource AdsConfigSource() => new() { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };
}
