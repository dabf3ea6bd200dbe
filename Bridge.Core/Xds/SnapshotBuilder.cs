using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Core.Xds.Chains;
using Google.Protobuf;

namespace Bridge.Core.Xds;

/// <summary>
/// Builds the next <see cref="XdsSnapshot"/> from the previous one: either by applying a catalog diff (only the
/// services that changed are translated) or from scratch (a reload). Both give the same resources for the same
/// catalog and settings; a message equal to one already served keeps its resource, so nothing unchanged is
/// serialised again or gets a new version.
/// </summary>
internal sealed partial class SnapshotBuilder
{
    private static readonly ClientKind[] Kinds = [ClientKind.Envoy, ClientKind.Grpc];

    private readonly XdsSnapshot _before;
    private readonly ResourceTranslator _translator;
    private readonly ChainTranslator _chainTranslator;
    private readonly ILogger _logger;
    private ImmutableDictionary<(ClientKind Kind, string TypeUrl), ResourceSet>.Builder _sets;
    private readonly ImmutableSortedDictionary<string, ImmutableArray<SkippedInstance>>.Builder _leftOut;
    private readonly ImmutableSortedDictionary<string, ImmutableArray<MetaProblem>>.Builder _invalidMeta;
    private readonly IReadOnlyDictionary<string, IReadOnlySet<string>> _scopes;
    private readonly IReadOnlyCollection<string> _portedNames;
    private ImmutableSortedSet<string> _tombstones;
    private ImmutableDictionary<string, XdsResource> _scopedRoutes;
    private bool _membershipChanged;

    /// <summary>
    /// Names whose virtual host in Envoy's routes may differ from the previous snapshot's: served now or no longer, or
    /// their chain's routes changed. A scope's route is built again only when it holds one of them.
    /// </summary>
    private readonly HashSet<string> _hostsChanged = new(StringComparer.Ordinal);

    /// <param name="scopes">The scopes open streams declared (key to services): each gets its own Envoy route.</param>
    /// <param name="portedNames">The <c>service:port</c> listener names gRPC clients asked for.</param>
    public SnapshotBuilder(
        XdsSnapshot before, ResourceTranslator translator, ILogger logger, IReadOnlyDictionary<string, IReadOnlySet<string>> scopes, IReadOnlyCollection<string> portedNames)
    {
        _before = before;
        _translator = translator;
        _chainTranslator = new ChainTranslator(translator, translator.GrpcRingHash);
        _chains = before.Chains;
        _logger = logger;
        _scopes = scopes;
        _portedNames = portedNames;
        _sets = before.Sets.ToBuilder();
        _leftOut = before.LeftOut.ToBuilder();
        _invalidMeta = before.InvalidMeta.ToBuilder();
        _tombstones = before.Tombstones;
        _scopedRoutes = before.ScopedRoutes;
        _callers = before.Callers;
        _virtuals = before.Virtuals;
    }

    /// <summary>Names that may differ from the previous snapshot, by type URL.</summary>
    public Dictionary<string, HashSet<string>> Changed { get; } = new(StringComparer.Ordinal);

    public int RemovedCount { get; private set; }

    /// <summary>Applies one catalog change: only the services it names are translated again.</summary>
    /// <param name="previousDeparted">The departed list of the catalog applied before: when it is the same object, nothing departed or returned.</param>
    public void ApplyChanges(CatalogSnapshot catalog, CatalogDiff diff, ImmutableSortedDictionary<string, long> previousDeparted)
    {
        // Chains first: a service a chain owns is not served its default cluster and assignment.
        var chainsBefore = _chains;
        var affected = Affected(catalog, diff, chainsBefore);
        var chainNames = affected.Count == 0 ? [] : Decide(catalog, affected);
        foreach (var change in diff.Changes)
        {
            if (change.Kind == ServiceChangeKind.Removed)
            {
                _membershipChanged = true;
                _hostsChanged.Add(change.Service);
                Remove(ClientKind.Envoy, TypeUrls.Cluster, change.Service);
                Remove(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, change.Service);
                _leftOut.Remove(change.Service);
                _invalidMeta.Remove(change.Service);
                if (catalog.Departed.ContainsKey(change.Service))
                {
                    Tombstone(change.Service);
                }
                else
                {
                    Forget(change.Service);
                }

                continue;
            }

            if (change.Kind == ServiceChangeKind.Added)
            {
                _membershipChanged = true;
                _hostsChanged.Add(change.Service);
            }

            Serve(catalog.Services[change.Service]);
        }

        ServeChainNames(catalog, chainsBefore, chainNames);
        ServeVirtuals(catalog, affected);
        foreach (var service in affected.Where(s => catalog.Services.ContainsKey(s)))
        {
            Put(ClientKind.Grpc, TypeUrls.RouteConfiguration, Packed(ClientKind.Grpc, TypeUrls.RouteConfiguration, service, GrpcRouteOf(service)), wildcard: false);
        }

        if (!ReferenceEquals(catalog.Departed, previousDeparted))
        {
            // Departed services forgotten by the catalog (it remembers a bounded number) leave the gRPC view too;
            // ones it brought from the state file join it.
            foreach (var name in _tombstones.Where(n => !catalog.Departed.ContainsKey(n) && !catalog.Services.ContainsKey(n)).ToList())
            {
                Forget(name);
            }

            foreach (var name in catalog.Departed.Keys.Where(n => !_tombstones.Contains(n) && !catalog.Services.ContainsKey(n) && !_virtuals.Contains(n)).ToList())
            {
                Tombstone(name);
            }
        }

        if (!_sets.ContainsKey((ClientKind.Envoy, TypeUrls.Listener)))
        {
            Put(ClientKind.Envoy, TypeUrls.Listener, Packed(ClientKind.Envoy, TypeUrls.Listener, _translator.EnvoyListenerName, _translator.EnvoyListener()), wildcard: true);
        }

        if (_membershipChanged || _chainRoutesChanged || !_sets.ContainsKey((ClientKind.Envoy, TypeUrls.RouteConfiguration)))
        {
            Put(ClientKind.Envoy, TypeUrls.RouteConfiguration, Packed(ClientKind.Envoy, TypeUrls.RouteConfiguration, _translator.EnvoyListenerName, EnvoyRouteOf(ServedNames(catalog))), wildcard: false);
        }

        if (_membershipChanged || _chainRoutesChanged || !ReferenceEquals(catalog.Departed, previousDeparted))
        {
            BuildScopedRoutes(catalog, _hostsChanged);
            BuildPortedListeners(onlyWhereChanged: true);
        }

        ServeCallers(catalog, diff.Routing.Callers);
    }

    /// <summary>The Envoy route of a scope a stream has just declared, added to the next snapshot.</summary>
    public void AddScope(string key, IReadOnlySet<string> services, CatalogSnapshot catalog) =>
        _scopedRoutes = _scopedRoutes.SetItem(key, ScopedRoute(services, catalog, _before.ScopedRoutes.GetValueOrDefault(key)));

    /// <summary>A <c>service:port</c> listener a gRPC client has just asked for, added to the next snapshot if its service has a listener.</summary>
    public void AddPortedListener(string name) => PortedListener(name);

    /// <summary>
    /// One route per held scope, holding only the scope's services; scopes no stream holds any more are dropped. Given
    /// <paramref name="changedHosts"/>, a scope holding none of them keeps its route: with thousands of scopes, a
    /// service added builds again only the routes of the scopes that name it.
    /// </summary>
    private void BuildScopedRoutes(CatalogSnapshot catalog, IReadOnlySet<string>? changedHosts = null)
    {
        var routes = ImmutableDictionary.CreateBuilder<string, XdsResource>(StringComparer.Ordinal);
        foreach (var (key, services) in _scopes)
        {
            var before = _before.ScopedRoutes.GetValueOrDefault(key);
            routes[key] = before is not null && changedHosts is not null && !changedHosts.Any(services.Contains)
                ? before
                : ScopedRoute(services, catalog, before);
        }

        _scopedRoutes = routes.ToImmutable();
    }

    private XdsResource ScopedRoute(IReadOnlySet<string> services, CatalogSnapshot catalog, XdsResource? before)
    {
        // The scope's own served services in the full route's order: O(scope), not O(catalog), for thousands of scopes.
        var route = EnvoyRouteOf(services.Where(name => catalog.Services.ContainsKey(name) || _virtuals.Contains(name)).Order(StringComparer.Ordinal));
        return before is not null && before.Message.Equals(route) ? before : XdsResource.Create(route.Name, route);
    }

    /// <summary>
    /// The <c>service:port</c> listeners gRPC clients asked for. A change applied to the previous snapshot builds only
    /// those whose service gained or lost its listener: the rest are the same name routed to the same service.
    /// </summary>
    private void BuildPortedListeners(bool onlyWhereChanged = false)
    {
        var before = _before.Get(ClientKind.Grpc, TypeUrls.Listener).ByName;
        var now = _sets.GetValueOrDefault((ClientKind.Grpc, TypeUrls.Listener))?.ByName;
        foreach (var name in _portedNames)
        {
            if (onlyWhereChanged && before.ContainsKey(name) == (now?.ContainsKey(ResourceTranslator.PortedService(name)!) == true))
            {
                continue;
            }

            PortedListener(name);
        }
    }

    /// <summary>Served while the service has a gRPC listener (served or tombstoned); gone with it.</summary>
    private void PortedListener(string name)
    {
        var service = ResourceTranslator.PortedService(name)!;
        if (_sets.GetValueOrDefault((ClientKind.Grpc, TypeUrls.Listener))?.ByName.ContainsKey(service) == true)
        {
            Put(ClientKind.Grpc, TypeUrls.Listener, Packed(ClientKind.Grpc, TypeUrls.Listener, name, ResourceTranslator.GrpcListener(name, routeName: service)), wildcard: false);
        }
        else
        {
            Remove(ClientKind.Grpc, TypeUrls.Listener, name);
        }
    }

    /// <summary>Builds every resource of the catalog as a fresh start would, then records what differs from before.</summary>
    public void BuildAll(CatalogSnapshot catalog)
    {
        _sets = ImmutableDictionary.CreateBuilder<(ClientKind, string), ResourceSet>();
        _leftOut.Clear();
        _invalidMeta.Clear();
        _tombstones = [];
        var chainsBefore = _chains;
        var names = catalog.Services.Keys.Union(chainsBefore.Chains.Keys, StringComparer.Ordinal).Union(catalog.Routing.Chains.Keys, StringComparer.Ordinal).ToList();
        var chainNames = Decide(catalog, names);
        foreach (var service in catalog.Services.Values)
        {
            Serve(service);
        }

        ServeChainNames(catalog, chainsBefore, chainNames);

        foreach (var name in catalog.Departed.Keys.Where(n => !catalog.Services.ContainsKey(n)))
        {
            Tombstone(name);
        }

        _virtuals = [];
        ServeVirtuals(catalog, names);
        Put(ClientKind.Envoy, TypeUrls.Listener, Packed(ClientKind.Envoy, TypeUrls.Listener, _translator.EnvoyListenerName, _translator.EnvoyListener()), wildcard: true);
        Put(ClientKind.Envoy, TypeUrls.RouteConfiguration, Packed(ClientKind.Envoy, TypeUrls.RouteConfiguration, _translator.EnvoyListenerName, EnvoyRouteOf(ServedNames(catalog))), wildcard: false);
        BuildScopedRoutes(catalog);
        BuildPortedListeners();
        ServeCallers(catalog, changedCallers: null);
        _membershipChanged = true;

        // Put recorded every name it wrote; what disappeared counts as changed too.
        foreach (var ((kind, typeUrl), set) in _before.Sets)
        {
            var now = _sets.GetValueOrDefault((kind, typeUrl)) ?? ResourceSet.Empty;
            foreach (var name in set.ByName.Keys.Where(n => !now.ByName.ContainsKey(n)))
            {
                ChangedNames(typeUrl).Add(name);
                RemovedCount++;
            }
        }
    }

    public XdsSnapshot ToSnapshot(XdsSnapshot before, CatalogSnapshot catalog, bool rebuilt)
    {
        var membership = _membershipChanged || rebuilt;
        return new XdsSnapshot(
            before.Generation + 1,
            before.Ready || catalog.Synced,
            _sets.ToImmutable(),
            Changed.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableHashSet(StringComparer.Ordinal)))
        {
            ChangedAt = catalog.ChangedAt,
            Services = membership ? catalog.Services.Keys.ToImmutableSortedSet(StringComparer.Ordinal) : before.Services,
            MembershipGeneration = before.MembershipGeneration + (membership ? 1 : 0),
            Tombstones = _tombstones,
            LeftOut = _leftOut.ToImmutable(),
            InvalidMeta = _invalidMeta.ToImmutable(),
            ScopedRoutes = _scopedRoutes,
            Chains = _chains,
            Callers = _callers,
            Virtuals = _virtuals,
            CallerSettings = catalog.Routing.Callers,
        };
    }

    /// <summary>A served service: its clusters and assignments (in every wildcard), and its gRPC listener and route (asked for by name).</summary>
    private void Serve(CatalogService service)
    {
        _tombstones = _tombstones.Remove(service.Name);
        var problems = new List<MetaProblem>();
        var policy = ServicePolicy.From(service, (key, value, accepted) => problems.Add(new MetaProblem(key, value, accepted)));
        ReportMeta(service.Name, problems);

        // A name a chain reaches is built from the chain (ServeChainNames), as the target it is.
        var owned = _chains.Owners.ContainsKey(service.Name);
        if (!owned)
        {
            PutCluster(service.Name, _translator.Cluster(service, policy, ClientKind.Envoy), _translator.Cluster(service, policy, ClientKind.Grpc));
        }

        var leftOut = new List<SkippedInstance>();
        var assignment = _translator.Assignment(service, leftOut);
        ReportLeftOut(service.Name, leftOut);
        if (!owned)
        {
            PutAssignment(service.Name, assignment);
        }

        // Answered only when asked for by name: a gRPC client never wants every service's listener.
        Put(ClientKind.Grpc, TypeUrls.Listener, Packed(ClientKind.Grpc, TypeUrls.Listener, service.Name, ResourceTranslator.GrpcListener(service.Name)), wildcard: false);
        Put(ClientKind.Grpc, TypeUrls.RouteConfiguration, Packed(ClientKind.Grpc, TypeUrls.RouteConfiguration, service.Name, GrpcRouteOf(service.Name)), wildcard: false);
    }

    /// <summary>
    /// gRPC clients keep a departed service's listener, route and cluster, with no endpoints: they ignore a re-added
    /// resource whose content equals the one they saw deleted (grpc-js keeps its cache across the deletion), so a
    /// service scaled to zero and back would stay unreachable. gRPC's own guidance (ignore_resource_deletion) treats
    /// deletions this way too. RPCs fail as unavailable meanwhile. Nothing of it is in any wildcard answer.
    /// </summary>
    private void Tombstone(string name)
    {
        _tombstones = _tombstones.Add(name);
        var empty = new CatalogService(name, 0, []);
        Put(ClientKind.Grpc, TypeUrls.Listener, Packed(ClientKind.Grpc, TypeUrls.Listener, name, ResourceTranslator.GrpcListener(name)), wildcard: false);
        Put(ClientKind.Grpc, TypeUrls.RouteConfiguration, Packed(ClientKind.Grpc, TypeUrls.RouteConfiguration, name, ResourceTranslator.GrpcRoute(name)), wildcard: false);
        Put(ClientKind.Grpc, TypeUrls.Cluster, Packed(ClientKind.Grpc, TypeUrls.Cluster, name, _translator.Cluster(empty, ServicePolicy.Default, ClientKind.Grpc)), wildcard: false);
        Put(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, Packed(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, name, ResourceTranslator.EmptyAssignment(name)), wildcard: false);
    }

    /// <summary>A name that is neither served nor departed any more: nothing of it is served to anyone.</summary>
    private void Forget(string name)
    {
        _tombstones = _tombstones.Remove(name);
        foreach (var typeUrl in TypeUrls.All)
        {
            Remove(ClientKind.Grpc, typeUrl, name);
        }
    }

    private void Put(ClientKind kind, string typeUrl, XdsResource resource, bool wildcard)
    {
        var set = _sets.GetValueOrDefault((kind, typeUrl)) ?? ResourceSet.Empty;
        if (!(set.ByName.TryGetValue(resource.Name, out var existing) && existing.Version == resource.Version && set.Wildcard.Contains(resource.Name) == wildcard))
        {
            // Wildcard membership is part of what is served: a service re-added with unchanged bytes must rejoin it.
            _sets[(kind, typeUrl)] = new ResourceSet(
                set.ByName.SetItem(resource.Name, resource),
                wildcard ? set.Wildcard.Add(resource.Name) : set.Wildcard.Remove(resource.Name));
        }

        var before = _before.Get(kind, typeUrl);
        if (before.ByName.GetValueOrDefault(resource.Name)?.Version != resource.Version || before.Wildcard.Contains(resource.Name) != wildcard)
        {
            ChangedNames(typeUrl).Add(resource.Name);
        }
    }

    private void Remove(ClientKind kind, string typeUrl, string name)
    {
        var set = _sets.GetValueOrDefault((kind, typeUrl));
        if (set is null || !set.ByName.ContainsKey(name))
        {
            return;
        }

        _sets[(kind, typeUrl)] = new ResourceSet(set.ByName.Remove(name), set.Wildcard.Remove(name));
        ChangedNames(typeUrl).Add(name);
        RemovedCount++;
    }

    /// <summary>A message equal to one served before (in this build or the last snapshot) keeps its resource: nothing is serialised again.</summary>
    private XdsResource Packed(ClientKind kind, string typeUrl, string name, IMessage message) =>
        (_sets.GetValueOrDefault((kind, typeUrl))?.ByName.GetValueOrDefault(name) ?? _before.Get(kind, typeUrl).ByName.GetValueOrDefault(name)) is { } existing
        && existing.Message.Equals(message)
            ? existing
            : XdsResource.Create(name, message);

    private HashSet<string> ChangedNames(string typeUrl) =>
        Changed.TryGetValue(typeUrl, out var names) ? names : Changed[typeUrl] = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Logs instances translation newly leaves out of a service, or of a chain target read apart (named by its cluster,
    /// <c>web~v2</c>, <c>web@dc2</c>), each once, not on every change.
    /// </summary>
    private void ReportLeftOut(string service, List<SkippedInstance> leftOut)
    {
        var before = _before.LeftOut.GetValueOrDefault(service);
        foreach (var skipped in leftOut)
        {
            if (before.IsDefault || !before.Contains(skipped))
            {
                if (skipped.Field == ResourceTranslator.DuplicateAddressField)
                {
                    XdsLog.DuplicateAddress(_logger, service, skipped.Node, skipped.Value);
                }
                else
                {
                    XdsLog.InvalidInstance(_logger, service, skipped.Node, skipped.ServiceId, skipped.Field, skipped.Value);
                }
            }
        }

        if (leftOut.Count == 0)
        {
            _leftOut.Remove(service);
        }
        else
        {
            _leftOut[service] = [.. leftOut];
        }
    }

    private void ReportMeta(string service, List<MetaProblem> problems)
    {
        var before = _before.InvalidMeta.GetValueOrDefault(service);
        foreach (var problem in problems)
        {
            if (before.IsDefault || !before.Contains(problem))
            {
                XdsLog.InvalidServiceMeta(_logger, service, problem.Key, problem.Value, problem.Accepted);
            }
        }

        if (problems.Count == 0)
        {
            _invalidMeta.Remove(service);
        }
        else
        {
            _invalidMeta[service] = [.. problems];
        }
    }
}
