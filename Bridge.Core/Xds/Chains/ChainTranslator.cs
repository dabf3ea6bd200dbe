using Bridge.Core.Catalog;
using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using AggregateClusterConfig = Envoy.Extensions.Clusters.Aggregate.V3.ClusterConfig;
using ChainRoute = Bridge.Core.Catalog.Chains.RouteRule;
using LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy;

namespace Bridge.Core.Xds.Chains;

/// <summary>
/// Turns a compiled <see cref="DiscoveryChain"/> into what each kind of client is sent for it: a cluster per target
/// (and an aggregate cluster per target with failover), an assignment per target, and the routes of the service's
/// virtual host. A default chain is not translated: its service keeps the resources it has without config entries.
/// Clusters are named by <see cref="ChainClusterNames"/>.
/// <para>
/// What a client kind cannot honour is left out of what it is sent (never sent for it to reject) and reported as a
/// <see cref="ChainNote"/>. gRPC clients (gRFCs A28, A31, A37, A42, A44) are sent the routing, splitting, timeouts,
/// gRPC-code retries and failover of a chain, but no header changes, path rewrites, idle timeouts, query-parameter
/// routes or HTTP-status retries. Their load balancing is ROUND_ROBIN for every policy unless
/// <c>grpcRingHash</c> is set: gRPC C-core 1.50 and 1.51 (Debian 12's gRPC) crash with SIGSEGV on the first RPC a
/// RING_HASH cluster picks, with or without a hash policy on the route (its picker crashes when it asks an idle
/// subchannel to connect, which every first pick does), and least_request, random and maglev are NACKed.
/// </para>
/// A chain is translated as it is: one that <see cref="ChainChecks.Problem"/> finds fault with must not be served.
/// Nothing is logged here; notes and left-out instances are returned to the caller.
/// </summary>
internal sealed class ChainTranslator
{
    /// <summary>The cluster type of an aggregate cluster.</summary>
    public const string AggregateClusterType = "envoy.clusters.aggregate";

    /// <summary>The largest ring gRPC and Envoy accept (both reject a larger minimum or maximum).</summary>
    public const ulong MaxRingSize = 8_388_608;

    private readonly ResourceTranslator _resources;
    private readonly bool _grpcRingHash;

    /// <param name="resources">Shapes each target's cluster as a service's is shaped today, and its assignment.</param>
    /// <param name="grpcRingHash">
    /// Send gRPC clients RING_HASH (for ring_hash and maglev) and the route's hash policies (gRFC A42). Only for
    /// fleets with no gRPC C-core 1.50/1.51 client; grpc-js and later C-core honour it.
    /// </param>
    public ChainTranslator(ResourceTranslator resources, bool grpcRingHash = false)
    {
        _resources = resources;
        _grpcRingHash = grpcRingHash;
    }

    /// <summary>The cluster of a target; see <see cref="ChainClusterNames"/>.</summary>
    public static string ClusterName(TargetId target, string localDatacenter) => ChainClusterNames.Of(target, localDatacenter);

    /// <summary>Where a route or split to <paramref name="target"/> sends traffic: its failover aggregate when it has failover.</summary>
    public static string RoutedCluster(DiscoveryChain chain, TargetId target) =>
        chain.Target(target).Failover.Count > 0
            ? ChainClusterNames.Failover(target, chain.Datacenter)
            : ChainClusterNames.Of(target, chain.Datacenter);

    /// <summary>Every cluster name the chain's clusters have, in the order <see cref="Clusters"/> gives them.</summary>
    public static IEnumerable<string> ClusterNames(DiscoveryChain chain)
    {
        foreach (var target in chain.Targets)
        {
            yield return ChainClusterNames.Of(target.Id, chain.Datacenter);
            if (target.Failover.Count > 0)
            {
                yield return ChainClusterNames.Failover(target.Id, chain.Datacenter);
            }
        }
    }

    // ---- Clusters -----------------------------------------------------------------------------------------------

    /// <summary>
    /// One EDS cluster per target, ordered by target, each followed by its failover aggregate if it has one. A target
    /// is shaped as its service's cluster is today (<paramref name="policyOf"/>: protocol, connect timeout, load
    /// balancing and outlier detection from service meta), then by the chain: the resolver's connect timeout when it
    /// sets one, its load balancer, and HTTP/2 towards Envoy when the chain's protocol is http2 or grpc. So a target
    /// its resolver does not shape is exactly the service's cluster of today, under the target's name.
    /// </summary>
    public List<Cluster> Clusters(DiscoveryChain chain, ClientKind kind, Func<string, ServicePolicy> policyOf, List<ChainNote>? notes = null)
    {
        var clusters = new List<Cluster>();
        foreach (var target in chain.Targets)
        {
            var cluster = TargetCluster(chain, target, kind, policyOf(target.Id.Service), notes);
            clusters.Add(cluster);
            if (target.Failover.Count > 0)
            {
                clusters.Add(FailoverCluster(chain, target, cluster.ConnectTimeout, kind));
            }
        }

        return clusters;
    }

    private Cluster TargetCluster(DiscoveryChain chain, Target target, ClientKind kind, ServicePolicy policy, List<ChainNote>? notes)
    {
        var shaped = policy with
        {
            Protocol = chain.Protocol switch
            {
                "http2" => UpstreamProtocol.Http2,
                "grpc" => UpstreamProtocol.Grpc,
                _ => policy.Protocol,
            },

            // The compiler gives every target 5 s when its resolver sets none; the service's own setting then stands.
            ConnectTimeout = target.ConnectTimeout != ChainCompiler.DefaultConnectTimeout ? target.ConnectTimeout : policy.ConnectTimeout,
            LoadBalancing = target.LoadBalancer is null ? policy.LoadBalancing : LoadBalancing.RoundRobin,
        };

        var cluster = _resources.Cluster(new CatalogService(target.Id.Service, 0, []), shaped, kind);
        var name = ChainClusterNames.Of(target.Id, chain.Datacenter);
        cluster.Name = name;
        cluster.EdsClusterConfig.ServiceName = name;
        if (target.LoadBalancer is { } balancer)
        {
            var note = new Notes(chain, kind, $"target {target.Id}", notes);
            if (kind == ClientKind.Envoy)
            {
                EnvoyBalancer(cluster, balancer, note);
            }
            else
            {
                GrpcBalancer(cluster, balancer, note);
            }
        }

        return cluster;
    }

    private static void EnvoyBalancer(Cluster cluster, LoadBalancer balancer, Notes notes)
    {
        switch (balancer.Policy)
        {
            case LoadBalancerPolicy.RoundRobin:
                cluster.LbPolicy = LbPolicy.RoundRobin;
                break;
            case LoadBalancerPolicy.LeastRequest:
                cluster.LbPolicy = LbPolicy.LeastRequest;
                if (balancer.ChoiceCount >= 2)
                {
                    cluster.LeastRequestLbConfig = new Cluster.Types.LeastRequestLbConfig { ChoiceCount = balancer.ChoiceCount };
                }
                else if (balancer.ChoiceCount is { } count)
                {
                    notes.Add($"least_request choice count {count} is below Envoy's minimum of 2: Envoy's default (2) is used");
                }

                break;
            case LoadBalancerPolicy.Random:
                cluster.LbPolicy = LbPolicy.Random;
                break;
            case LoadBalancerPolicy.RingHash:
                cluster.LbPolicy = LbPolicy.RingHash;
                cluster.RingHashLbConfig = RingHashConfig(balancer, notes);
                break;
            case LoadBalancerPolicy.Maglev:
                cluster.LbPolicy = LbPolicy.Maglev;
                break;
        }
    }

    private void GrpcBalancer(Cluster cluster, LoadBalancer balancer, Notes notes)
    {
        cluster.LbPolicy = LbPolicy.RoundRobin;
        switch (balancer.Policy)
        {
            case LoadBalancerPolicy.RoundRobin:
                break;
            case LoadBalancerPolicy.LeastRequest or LoadBalancerPolicy.Random:
                notes.Add($"load balancer {PolicyName(balancer.Policy)} is served as round_robin (gRPC clients reject {PolicyName(balancer.Policy)})");
                break;
            case LoadBalancerPolicy.RingHash or LoadBalancerPolicy.Maglev when _grpcRingHash:
                cluster.LbPolicy = LbPolicy.RingHash;
                cluster.RingHashLbConfig = RingHashConfig(balancer, notes);
                if (balancer.Policy == LoadBalancerPolicy.Maglev)
                {
                    notes.Add("load balancer maglev is served as ring_hash (gRPC clients reject maglev)");
                }

                break;
            case LoadBalancerPolicy.RingHash or LoadBalancerPolicy.Maglev:
                notes.Add($"load balancer {PolicyName(balancer.Policy)} is served as round_robin, without hash policies "
                    + "(gRPC C-core 1.50 and 1.51 crash on their first RPC through a RING_HASH cluster, hash policy or not)");
                break;
        }
    }

    /// <summary>XX_HASH (the only function gRPC takes), the resolver's sizes within what Envoy and gRPC accept.</summary>
    private static Cluster.Types.RingHashLbConfig RingHashConfig(LoadBalancer balancer, Notes notes)
    {
        var config = new Cluster.Types.RingHashLbConfig { HashFunction = Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash };
        var minimum = Capped(balancer.MinimumRingSize, "minimum", notes);
        var maximum = Capped(balancer.MaximumRingSize, "maximum", notes);
        if (minimum > maximum)
        {
            notes.Add($"ring hash minimum size {minimum} is above the maximum {maximum}: the minimum is lowered to it");
            minimum = maximum;
        }

        config.MinimumRingSize = minimum;
        config.MaximumRingSize = maximum;
        return config;
    }

    private static ulong? Capped(ulong? size, string which, Notes notes)
    {
        if (size > MaxRingSize)
        {
            notes.Add($"ring hash {which} size {size} is above {MaxRingSize}, the most clients accept: {MaxRingSize} is used");
            return MaxRingSize;
        }

        return size;
    }

    /// <summary>
    /// The target, then its failover targets in order: Envoy fails over between them by their health
    /// (CLUSTER_PROVIDED); gRPC clients make them priorities and still validate the aggregate's own policy, which must
    /// be ROUND_ROBIN (gRFC A37).
    /// </summary>
    private static Cluster FailoverCluster(DiscoveryChain chain, Target target, Duration? connectTimeout, ClientKind kind)
    {
        var config = new AggregateClusterConfig { Clusters = { ChainClusterNames.Of(target.Id, chain.Datacenter) } };
        config.Clusters.Add(target.Failover.Select(f => ChainClusterNames.Of(f, chain.Datacenter)));
        return new Cluster
        {
            Name = ChainClusterNames.Failover(target.Id, chain.Datacenter),
            ClusterType = new Cluster.Types.CustomClusterType { Name = AggregateClusterType, TypedConfig = Any.Pack(config) },
            ConnectTimeout = connectTimeout,
            LbPolicy = kind == ClientKind.Envoy ? LbPolicy.ClusterProvided : LbPolicy.RoundRobin,
        };
    }

    // ---- Assignments --------------------------------------------------------------------------------------------

    /// <summary>
    /// The assignment of one target of <paramref name="chain"/>, named after its cluster, from the instances the caller
    /// read for it (the target's subset already applied: Consul evaluates the filter). Instances become endpoints as a
    /// service's do today (<see cref="ResourceTranslator.Assignment"/>: validation, weights, localities, health
    /// mapping); besides, a subset with OnlyPassing treats instances with a warning as critical, and instances in
    /// another datacenter are reached at <paramref name="remoteAddress"/> (Consul's WAN address), else at their own.
    /// </summary>
    /// <param name="remoteAddress">Where another datacenter reaches an instance; null (or a null answer) keeps its address.</param>
    /// <param name="leftOut">Told of the instances that cannot be endpoints.</param>
    public ClusterLoadAssignment Assignment(
        DiscoveryChain chain,
        TargetId target,
        IEnumerable<ServiceInstance> instances,
        Func<ServiceInstance, InstanceAddress?>? remoteAddress = null,
        List<SkippedInstance>? leftOut = null)
    {
        var onlyPassing = chain.Target(target).Subset?.OnlyPassing == true;
        var remote = target.Datacenter != chain.Datacenter;
        var shaped = instances
            .Select(instance =>
            {
                if (onlyPassing && instance.Health == HealthState.Warning)
                {
                    instance = instance with { Health = HealthState.Critical };
                }

                if (remote && remoteAddress?.Invoke(instance) is { } wan)
                {
                    instance = instance with { Address = wan.Address, Port = wan.Port };
                }

                return instance;
            })
            .OrderBy(i => i.Key);
        return _resources.Assignment(new CatalogService(ChainClusterNames.Of(target, chain.Datacenter), 0, [.. shaped]), leftOut);
    }

    // ---- Routes -------------------------------------------------------------------------------------------------

    /// <summary>
    /// The routes of the chain's virtual host in Envoy's outbound route, in the chain's order, the catch-all last. A
    /// default chain gets today's one route, unchanged.
    /// </summary>
    public List<Route> EnvoyRoutes(DiscoveryChain chain, List<ChainNote>? notes = null)
    {
        if (chain.IsDefault)
        {
            // Today's virtual hosts, Envoy's and gRPC's alike, hold this one route.
            return [.. ResourceTranslator.GrpcRoute(chain.ServiceName).VirtualHosts.Single().Routes];
        }

        var routes = new List<Route>();
        for (var i = 0; i < chain.Routes.Count; i++)
        {
            routes.Add(ChainRoutes.Envoy(chain, chain.Routes[i], new Notes(chain, ClientKind.Envoy, Where(chain.Routes[i], i), notes)));
        }

        return routes;
    }

    /// <summary>
    /// Envoy's outbound route (as <see cref="ResourceTranslator.EnvoyRoute"/> builds it: one virtual host per service,
    /// named after it) with the routes of every virtual host whose service has a chain that is not the default one
    /// replaced by the chain's. Domains and names stay; <paramref name="route"/> is not changed.
    /// </summary>
    public RouteConfiguration EnvoyRoute(RouteConfiguration route, Func<string, DiscoveryChain?> chainOf, List<ChainNote>? notes = null)
    {
        var routed = route.Clone();
        foreach (var host in routed.VirtualHosts)
        {
            if (chainOf(host.Name) is { IsDefault: false } chain)
            {
                host.Routes.Clear();
                host.Routes.Add(EnvoyRoutes(chain, notes));
            }
        }

        return routed;
    }

    /// <summary>
    /// The RouteConfiguration of the service's gRPC listener: named and with domains as
    /// <see cref="ResourceTranslator.GrpcRoute"/> gives them, with the chain's routes as gRPC can take them. A default
    /// chain gets today's route, unchanged.
    /// </summary>
    public RouteConfiguration GrpcRoute(DiscoveryChain chain, List<ChainNote>? notes = null)
    {
        var route = ResourceTranslator.GrpcRoute(chain.ServiceName);
        if (chain.IsDefault)
        {
            return route;
        }

        var host = route.VirtualHosts.Single();
        host.Routes.Clear();
        for (var i = 0; i < chain.Routes.Count; i++)
        {
            if (ChainRoutes.Grpc(chain, chain.Routes[i], new Notes(chain, ClientKind.Grpc, Where(chain.Routes[i], i), notes), _grpcRingHash) is { } grpc)
            {
                host.Routes.Add(grpc);
            }
        }

        return route;
    }

    private static string Where(ChainRoute rule, int index) => rule.IsCatchAll ? "catch-all route" : $"route {index + 1}";

    internal static string PolicyName(LoadBalancerPolicy policy) => policy switch
    {
        LoadBalancerPolicy.LeastRequest => "least_request",
        LoadBalancerPolicy.Random => "random",
        LoadBalancerPolicy.RingHash => "ring_hash",
        LoadBalancerPolicy.Maglev => "maglev",
        _ => "round_robin",
    };
}

/// <summary>Notes about one part of a chain for one client kind; a null list takes none.</summary>
internal readonly record struct Notes(DiscoveryChain Chain, ClientKind Kind, string Where, List<ChainNote>? List)
{
    public void Add(string what) => List?.Add(new ChainNote(Chain.ServiceName, Kind, Where, what));
}
