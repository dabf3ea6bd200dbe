using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Bridge.Core.Catalog;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using UpstreamHttpProtocolOptions = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
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

    public ResourceTranslator(XdsOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// One EDS cluster per service, shaped by the service's meta. A policy a client kind cannot use is not sent
    /// to it: gRPC clients NACK LEAST_REQUEST, RANDOM and MAGLEV, so they get ROUND_ROBIN instead.
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
            case LoadBalancing.RingHash:
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash;
                cluster.RingHashLbConfig = new Envoy.Config.Cluster.V3.Cluster.Types.RingHashLbConfig
                {
                    HashFunction = Envoy.Config.Cluster.V3.Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash,
                };
                break;
            case var other when kind == ClientKind.Grpc:
                XdsLog.PolicyNotSupported(_logger, service.Name, other.ToString());
                cluster.LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RoundRobin;
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
            cluster.OutlierDetection = new OutlierDetection
            {
                Consecutive5Xx = policy.OutlierConsecutive5xx,
                Interval = policy.OutlierInterval is { } interval ? Duration.FromTimeSpan(interval) : null,
                BaseEjectionTime = policy.OutlierBaseEjectionTime is { } ejection ? Duration.FromTimeSpan(ejection) : null,
                MaxEjectionPercent = policy.OutlierMaxEjectionPercent,
            };

            if (kind == ClientKind.Grpc)
            {
                // gRPC turns an OutlierDetection into success-rate ejection (gRFC A50). grpc-js-xds 1.14 copies each
                // unset parameter as undefined over its defaults, and its ejection timer then throws an uncaught
                // TypeError that ends the application. Envoy's defaults, spelled out, mean the same.
                cluster.OutlierDetection.EnforcingSuccessRate = 100;
                cluster.OutlierDetection.SuccessRateMinimumHosts = 5;
                cluster.OutlierDetection.SuccessRateRequestVolume = 100;
                cluster.OutlierDetection.SuccessRateStdevFactor = 1900;
            }
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

    /// <summary>One virtual host per service, answering its name and its Consul DNS name, with and without a port.</summary>
    public RouteConfiguration EnvoyRoute(IEnumerable<string> services)
    {
        var route = new RouteConfiguration { Name = _options.EnvoyListenerName };
        foreach (var service in services)
        {
            var dns = $"{service}.service.consul";
            route.VirtualHosts.Add(VirtualHost(service, [service, $"{service}:*", dns, $"{dns}:*"]));
        }

        return route;
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

    /// <summary>
    /// Endpoints are grouped by locality (region = datacenter, zone from node meta). Within a zone, endpoints
    /// of different weights go to separate sub-zones whose weight is the sum of theirs: clients that balance
    /// by locality first and round-robin inside one (gRPC's default) then honour Consul's weights too.
    /// </summary>
    public ClusterLoadAssignment Assignment(CatalogService service)
    {
        var cla = new ClusterLoadAssignment { ClusterName = service.Name };
        var seen = new HashSet<(string, int)>();
        var groups = new SortedDictionary<(string Dc, string Zone), List<(ServiceInstance Instance, IPAddress Ip, uint Weight, HealthStatus Health)>>();
        foreach (var instance in service.Instances)
        {
            if (!TryEndpoint(instance, out var ip, out var weight, out var health))
            {
                continue;
            }

            if (!seen.Add((ip.ToString(), instance.Port)))
            {
                XdsLog.DuplicateAddress(_logger, service.Name, instance.Key.Node, $"{FormatHost(ip)}:{instance.Port}");
                continue;
            }

            var zone = instance.NodeMeta.GetValueOrDefault(_options.ZoneNodeMetaKey, "");
            var key = (instance.Datacenter, zone);
            if (!groups.TryGetValue(key, out var list))
            {
                groups[key] = list = [];
            }

            list.Add((instance, ip, weight, health));
        }

        var scale = WeightScale(groups.Values);
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
                uint total = 0;
                foreach (var (instance, ip, consulWeight, health) in weightClass)
                {
                    var weight = scale < 1 ? Math.Max(1, (uint)(consulWeight * scale)) : consulWeight;
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
                locality.LoadBalancingWeight = Math.Max(1, total);
                cla.Endpoints.Add(locality);
            }
        }

        return cla;
    }

    /// <summary>
    /// The factor every endpoint weight is multiplied by: 1, unless the weights would sum past UINT32_MAX. Envoy refuses
    /// an assignment whose endpoint weights, or locality weights, sum past it in one priority (ring hash and maglev),
    /// and gRPC clients refuse such locality weights; Consul takes weights up to int.MaxValue. Scaled weights keep their
    /// ratios and are at least 1, and leave room for the weight of 1 a locality without healthy endpoints gets.
    /// </summary>
    private static double WeightScale(IEnumerable<List<(ServiceInstance Instance, IPAddress Ip, uint Weight, HealthStatus Health)>> groups)
    {
        ulong total = 0;
        ulong endpoints = 0;
        ulong localities = 0;
        foreach (var members in groups)
        {
            localities += (ulong)members.Select(m => m.Weight).Distinct().Count();
            foreach (var member in members)
            {
                total += member.Weight;
                endpoints++;
            }
        }

        var budget = (double)uint.MaxValue - localities - endpoints;
        return total + localities <= uint.MaxValue ? 1 : budget / total;
    }

    private bool TryEndpoint(ServiceInstance instance, out IPAddress ip, out uint weight, out HealthStatus health)
    {
        ip = IPAddress.None;
        weight = 0;
        health = HealthStatus.Unknown;
        if (instance.Port is < 1 or > 65535)
        {
            XdsLog.InvalidInstance(_logger, instance.Service, instance.Key.Node, instance.Key.ServiceId, "port", instance.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return false;
        }

        if (!TryParseIpLiteral(instance.Address, out ip))
        {
            XdsLog.InvalidInstance(_logger, instance.Service, instance.Key.Node, instance.Key.ServiceId, "address", instance.Address);
            return false;
        }

        int consulWeight;
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
                return false;
            default:
                if (_options.Unhealthy == UnhealthyMapping.Exclude)
                {
                    return false;
                }

                health = HealthStatus.Unhealthy;
                consulWeight = Math.Max(1, instance.PassingWeight);
                break;
        }

        if (consulWeight < 1)
        {
            // Consul allows a weight of 0 for warning instances: they should receive nothing.
            return false;
        }

        weight = (uint)consulWeight;
        return true;
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
