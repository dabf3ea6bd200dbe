using Bridge.Core.Catalog;
using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul;
using Bridge.Core.Xds.Chains;
using Envoy.Config.Route.V3;

namespace Bridge.Core.Xds;

/// <summary>
/// The discovery chains of the catalog's routing, served in place of a service's default resources: its target
/// clusters and failover aggregates with their assignments, the routes of its Envoy virtual host and its gRPC route.
/// A cluster name is built from one chain only (<see cref="ServedChains.OwnerOf"/>); a name no chain reaches any more
/// goes back to its service's default resources, or away.
/// </summary>
internal sealed partial class SnapshotBuilder
{
    private ServedChains _chains;

    /// <summary>Names served for their chain alone: no catalog instances (see <see cref="LeadsElsewhere"/>).</summary>
    private ImmutableSortedSet<string> _virtuals;

    /// <summary>Whether the routes of any served chain may have changed: the Envoy routes are built again.</summary>
    private bool _chainRoutesChanged;

    /// <summary>Whether the chains served, rejected or noted differ from the previous snapshot's, resources aside.</summary>
    public bool ChainsChanged => !_chains.SameAs(_before.Chains);

    /// <summary>
    /// Decides again the chain served for each service of <paramref name="services"/> (the latest compiled one, unless
    /// a check rejects it), and returns the cluster names whose resources must be built again: every name the old or the
    /// new chain reaches.
    /// </summary>
    private HashSet<string> Decide(CatalogSnapshot catalog, IEnumerable<string> services)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var chains = _chains.Chains.ToBuilder();
        var rejected = _chains.Rejected.ToBuilder();
        var notes = _chains.Notes.ToBuilder();
        foreach (var service in services)
        {
            var before = chains.GetValueOrDefault(service);
            var compiled = catalog.Routing.Chains.GetValueOrDefault(service);
            var latest = catalog.Services.ContainsKey(service) || (compiled is not null && LeadsElsewhere(compiled)) ? compiled : null;
            if (latest is not null && ChainChecks.Problem(latest) is { } problem)
            {
                if (rejected.GetValueOrDefault(service) != problem)
                {
                    XdsLog.ChainNotServed(_logger, service, problem);
                }

                rejected[service] = problem;
                latest = before;
            }
            else
            {
                rejected.Remove(service);
            }

            if (latest is null)
            {
                chains.Remove(service);
                notes.Remove(service);
            }
            else
            {
                chains[service] = latest;
            }

            foreach (var chain in new[] { before, latest }.OfType<DiscoveryChain>())
            {
                names.UnionWith(ChainTranslator.ClusterNames(chain));
            }

            if (!Equals(before, latest))
            {
                _chainRoutesChanged = true;
                _hostsChanged.Add(service);
            }
        }

        var served = chains.ToImmutable();
        _chains = _chains with
        {
            Chains = served,
            Rejected = rejected.ToImmutable(),
            Notes = notes.ToImmutable(),
            Owners = ReferenceEquals(served, _chains.Chains) ? _chains.Owners : ServedChains.OwnersOf(served.Values),
        };
        return names;
    }

    /// <summary>
    /// Whether a chain reaches beyond its own service's local instances (another service, another datacenter): a name
    /// the catalog does not list is served for such a chain alone, as Consul's virtual services are (a redirect, a
    /// split or a route to other services). A chain that only shapes a service with no instances is not served.
    /// </summary>
    private static bool LeadsElsewhere(DiscoveryChain chain) =>
        chain.Targets.Any(t => !string.Equals(t.Id.Service, chain.ServiceName, StringComparison.Ordinal) || t.Id.Datacenter != chain.Datacenter);

    /// <summary>
    /// Serves the gRPC listener and route of each name in <paramref name="names"/> that has a served chain but no
    /// catalog instances (a virtual service), and takes them away from a name that stops being one. Envoy's route
    /// gets a virtual host for each (<see cref="ServedNames"/>).
    /// </summary>
    private void ServeVirtuals(CatalogSnapshot catalog, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (!catalog.Services.ContainsKey(name) && _chains.Chains.ContainsKey(name))
            {
                if (!_virtuals.Contains(name))
                {
                    _virtuals = _virtuals.Add(name);
                    _membershipChanged = true;
                    _hostsChanged.Add(name);
                }

                if (_tombstones.Contains(name))
                {
                    // A departed service that lives on as a virtual one: its chain's resources replace the empty ones.
                    _tombstones = _tombstones.Remove(name);
                    if (_chains.OwnerOf(name) is null)
                    {
                        Remove(ClientKind.Grpc, TypeUrls.Cluster, name);
                        Remove(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, name);
                    }
                }

                Put(ClientKind.Grpc, TypeUrls.Listener, Packed(ClientKind.Grpc, TypeUrls.Listener, name, ResourceTranslator.GrpcListener(name)), wildcard: false);
                Put(ClientKind.Grpc, TypeUrls.RouteConfiguration, Packed(ClientKind.Grpc, TypeUrls.RouteConfiguration, name, GrpcRouteOf(name)), wildcard: false);
            }
            else if (_virtuals.Contains(name))
            {
                _virtuals = _virtuals.Remove(name);
                _membershipChanged = true;
                _hostsChanged.Add(name);
                if (!catalog.Services.ContainsKey(name) && !_tombstones.Contains(name))
                {
                    Remove(ClientKind.Grpc, TypeUrls.Listener, name);
                    Remove(ClientKind.Grpc, TypeUrls.RouteConfiguration, name);
                }
            }
        }
    }

    /// <summary>Every name with a virtual host and a gRPC listener: the catalog's services, then the virtual ones, in ordinal order.</summary>
    private IEnumerable<string> ServedNames(CatalogSnapshot catalog) =>
        _virtuals.IsEmpty ? catalog.Services.Keys : catalog.Services.Keys.Concat(_virtuals).Order(StringComparer.Ordinal);

    /// <summary>
    /// The services whose chain must be translated again for this change: their compiled chain changed, the service was
    /// added, removed or changed, or a target of their chain reads instances (or a policy) that changed.
    /// </summary>
    private static SortedSet<string> Affected(CatalogSnapshot catalog, CatalogDiff diff, ServedChains served)
    {
        var affected = new SortedSet<string>(diff.Routing.Chains, StringComparer.Ordinal);
        var changedServices = diff.Changes.Select(c => c.Service).ToHashSet(StringComparer.Ordinal);
        affected.UnionWith(changedServices);
        if (changedServices.Count == 0 && diff.Routing.Targets.IsEmpty)
        {
            return affected;
        }

        foreach (var chain in served.Chains.Values.Concat(catalog.Routing.Chains.Values))
        {
            if (chain.Targets.Any(t => changedServices.Contains(t.Id.Service)
                || (catalog.Routing.QueryOf(t) is { } query && diff.Routing.Targets.Contains(query))))
            {
                affected.Add(chain.ServiceName);
            }
        }

        return affected;
    }

    /// <summary>
    /// Builds every name given from the chain that owns it, or from its service as without config entries, or removes
    /// it; records which names changed owners (a scoped node may now see them, or no longer).
    /// </summary>
    private void ServeChainNames(CatalogSnapshot catalog, ServedChains before, HashSet<string> names)
    {
        var translated = new Dictionary<string, ChainResources>(StringComparer.Ordinal);
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (!SameOwners(before.Owners.GetValueOrDefault(name), _chains.Owners.GetValueOrDefault(name)))
            {
                // The bytes may be the same, but who may see them is not.
                ChangedNames(TypeUrls.Cluster).Add(name);
                ChangedNames(TypeUrls.ClusterLoadAssignment).Add(name);
            }

            if (_chains.OwnerOf(name) is { } owner)
            {
                if (!translated.TryGetValue(owner.ServiceName, out var resources))
                {
                    translated[owner.ServiceName] = resources = Translate(owner, catalog);
                }

                PutChainName(resources, name);
            }
            else if (catalog.Services.TryGetValue(name, out var service))
            {
                var policy = ServicePolicy.From(service, (_, _, _) => { });
                PutCluster(name, _translator.Cluster(service, policy, ClientKind.Envoy), _translator.Cluster(service, policy, ClientKind.Grpc));
                PutAssignment(name, _translator.Assignment(service));
            }
            else
            {
                _leftOut.Remove(name);
                Remove(ClientKind.Envoy, TypeUrls.Cluster, name);
                Remove(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, name);
                if (!_tombstones.Contains(name))
                {
                    Remove(ClientKind.Grpc, TypeUrls.Cluster, name);
                    Remove(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, name);
                }
            }
        }
    }

    private static bool SameOwners(ImmutableSortedSet<string>? before, ImmutableSortedSet<string>? now) =>
        before is null ? now is null : now is not null && before.SetEquals(now);

    /// <summary>The gRPC route of a served service: its chain's when it has one.</summary>
    private RouteConfiguration GrpcRouteOf(string service) =>
        _chains.Chains.TryGetValue(service, out var chain) ? _chainTranslator.GrpcRoute(chain) : ResourceTranslator.GrpcRoute(service);

    /// <summary>Envoy's outbound route for these services, each chain's virtual host with its chain's routes.</summary>
    private RouteConfiguration EnvoyRouteOf(IEnumerable<string> services)
    {
        var route = _translator.EnvoyRoute(services);
        return _chains.Chains.IsEmpty ? route : _chainTranslator.EnvoyRoute(route, name => _chains.Chains.GetValueOrDefault(name));
    }

    private void PutChainName(ChainResources resources, string name)
    {
        if (resources.Envoy.TryGetValue(name, out var envoy))
        {
            PutCluster(name, envoy, resources.Grpc[name]);
        }

        if (resources.Assignments.TryGetValue(name, out var assignment))
        {
            PutAssignment(name, assignment);
            if (resources.LeftOut.TryGetValue(name, out var leftOut))
            {
                ReportLeftOut(name, leftOut);
            }
        }
        else
        {
            // An aggregate cluster has no endpoints of its own.
            Remove(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, name);
            Remove(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, name);
        }
    }

    private void PutCluster(string name, Envoy.Config.Cluster.V3.Cluster envoy, Envoy.Config.Cluster.V3.Cluster grpc)
    {
        var envoyResource = Packed(ClientKind.Envoy, TypeUrls.Cluster, name, envoy);
        Put(ClientKind.Envoy, TypeUrls.Cluster, envoyResource, wildcard: true);
        Put(ClientKind.Grpc, TypeUrls.Cluster, grpc.Equals(envoy) ? envoyResource : Packed(ClientKind.Grpc, TypeUrls.Cluster, name, grpc), wildcard: true);
    }

    private void PutAssignment(string name, Envoy.Config.Endpoint.V3.ClusterLoadAssignment assignment)
    {
        var resource = Packed(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, name, assignment);
        foreach (var kind in Kinds)
        {
            Put(kind, TypeUrls.ClusterLoadAssignment, resource, wildcard: true);
        }
    }

    /// <summary>Every cluster and assignment of one chain, for both kinds, and its notes (each new one logged once).</summary>
    private ChainResources Translate(DiscoveryChain chain, CatalogSnapshot catalog)
    {
        var notes = new List<ChainNote>();
        ServicePolicy PolicyOf(string service) =>
            catalog.Services.TryGetValue(service, out var s) ? ServicePolicy.From(s, (_, _, _) => { }) : ServicePolicy.Default;

        var envoy = _chainTranslator.Clusters(chain, ClientKind.Envoy, PolicyOf, notes).ToDictionary(c => c.Name, StringComparer.Ordinal);
        var grpc = _chainTranslator.Clusters(chain, ClientKind.Grpc, PolicyOf, notes).ToDictionary(c => c.Name, StringComparer.Ordinal);
        var assignments = new Dictionary<string, Envoy.Config.Endpoint.V3.ClusterLoadAssignment>(StringComparer.Ordinal);
        var leftOut = new Dictionary<string, List<SkippedInstance>>(StringComparer.Ordinal);
        foreach (var target in chain.Targets)
        {
            var query = catalog.Routing.QueryOf(target);
            var instances = query is not null
                ? catalog.Routing.Targets.GetValueOrDefault(query)?.Instances ?? []
                : catalog.Services.GetValueOrDefault(target.Id.Service)?.Instances ?? [];
            var name = ChainClusterNames.Of(target.Id, chain.Datacenter);
            var skipped = new List<SkippedInstance>();
            assignments[name] = _chainTranslator.Assignment(chain, target.Id, instances, Wan, skipped);

            // A subset or another datacenter is a read of its own, reported under its cluster's name; a target that
            // is the service as read for itself is reported with the service.
            if (query is not null)
            {
                leftOut[name] = skipped;
            }
        }

        _chainTranslator.EnvoyRoutes(chain, notes);
        _chainTranslator.GrpcRoute(chain, notes);
        RecordNotes(chain.ServiceName, notes);
        return new ChainResources(envoy, grpc, assignments, leftOut);
    }

    /// <summary>Consul's WAN address of an instance, for callers in another datacenter; null when it has none.</summary>
    private static InstanceAddress? Wan(ServiceInstance instance) =>
        instance.WanAddress.Length > 0 ? new InstanceAddress(instance.WanAddress, instance.WanPort > 0 ? instance.WanPort : instance.Port) : null;

    private void RecordNotes(string service, List<ChainNote> notes)
    {
        var distinct = notes.Distinct().ToImmutableArray();
        var before = _chains.Notes.GetValueOrDefault(service);
        foreach (var note in distinct)
        {
            if (before.IsDefault || !before.Contains(note))
            {
                XdsLog.ChainPartNotSent(_logger, service, note.Kind.ToString(), note.Where, note.What);
            }
        }

        _chains = _chains with { Notes = distinct.IsEmpty ? _chains.Notes.Remove(service) : _chains.Notes.SetItem(service, distinct) };
    }

    private sealed record ChainResources(
        Dictionary<string, Envoy.Config.Cluster.V3.Cluster> Envoy,
        Dictionary<string, Envoy.Config.Cluster.V3.Cluster> Grpc,
        Dictionary<string, Envoy.Config.Endpoint.V3.ClusterLoadAssignment> Assignments,
        Dictionary<string, List<SkippedInstance>> LeftOut);
}
