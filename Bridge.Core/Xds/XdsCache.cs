using System.Collections.Immutable;
using Bridge.Core.Catalog;
using Envoy.Config.Endpoint.V3;
using Microsoft.Extensions.Logging;

namespace Bridge.Core.Xds;

/// <summary>
/// The versioned cache between the catalog and the streams. On each catalog change it translates only the
/// services that changed, serialises each new resource once, and publishes a new <see cref="XdsSnapshot"/>;
/// a resource whose bytes did not change keeps its object and version, so no stream sees it as changed.
/// </summary>
internal sealed class XdsCache
{
    private ResourceTranslator _translator;
    private readonly object _applyGate = new();
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private XdsSnapshot _current = XdsSnapshot.Empty;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public XdsCache(XdsOptions options, ILogger<XdsCache> logger)
    {
        _logger = logger;
        _translator = new ResourceTranslator(options, logger);
        _envoyListenerName = options.EnvoyListenerName;
    }

    private string _envoyListenerName;

    public XdsSnapshot Current => Volatile.Read(ref _current);

    /// <summary>The streams waiting for changes, by what they subscribed to: a snapshot wakes only those it concerns.</summary>
    public WakeIndex Wakes { get; } = new();

    /// <summary>How many past generations' changed names are kept for streams catching up.</summary>
    internal const int ChangeLogLength = 64;

    private readonly ChangeEntry?[] _changeLog = new ChangeEntry?[ChangeLogLength];

    private sealed record ChangeEntry(long Generation, ImmutableDictionary<string, ImmutableHashSet<string>> Names);

    private static readonly ImmutableHashSet<string> NoNames = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// The names of <paramref name="typeUrl"/> that may differ between generation <paramref name="since"/> and
    /// <paramref name="snapshot"/>; null when that is no longer known (more than <see cref="ChangeLogLength"/>
    /// generations apart), and the caller must compare everything it holds.
    /// </summary>
    public IReadOnlySet<string>? ChangedSince(long since, XdsSnapshot snapshot, string typeUrl)
    {
        if (since < 0 || since > snapshot.Generation || snapshot.Generation - since > ChangeLogLength)
        {
            return null;
        }

        if (since == snapshot.Generation)
        {
            return NoNames;
        }

        if (since == snapshot.Generation - 1)
        {
            return snapshot.ChangedNames.GetValueOrDefault(typeUrl) ?? NoNames;
        }

        HashSet<string>? union = null;
        IReadOnlySet<string> result = NoNames;
        for (var generation = since + 1; generation <= snapshot.Generation; generation++)
        {
            var entry = Volatile.Read(ref _changeLog[generation % ChangeLogLength]);
            if (entry is null || entry.Generation != generation)
            {
                return null;
            }

            if (!entry.Names.TryGetValue(typeUrl, out var names) || names.Count == 0)
            {
                continue;
            }

            if (result.Count == 0)
            {
                result = names;
                continue;
            }

            union ??= new HashSet<string>(result, StringComparer.Ordinal);
            union.UnionWith(names);
            result = union;
        }

        return result;
    }

    /// <summary>Completes when the first snapshot built from a full catalog (from Consul or the state file) is published.</summary>
    public Task WhenReady => _ready.Task;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Completes when a snapshot newer than <paramref name="generation"/> is published, whatever it changed: for
    /// callers that follow every publication (tests, tools). Streams wait on their <see cref="Wakes"/> keys instead.
    /// </summary>
    public Task WaitForNewerAsync(long generation, CancellationToken ct)
    {
        Task next;
        lock (_gate)
        {
            if (_current.Generation > generation)
            {
                return Task.CompletedTask;
            }

            next = _next.Task;
        }

        return next.WaitAsync(ct);
    }

    /// <summary>An empty assignment for a requested name the catalog does not have: gRPC clients block on a missing one.</summary>
    public static XdsResource EmptyAssignment(string name) => XdsResource.Create(name, ResourceTranslator.EmptyAssignment(name));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Membership, XdsResource Route)> _scopedRoutes = new(StringComparer.Ordinal);

    /// <summary>
    /// Envoy's outbound RouteConfiguration holding only the services of one scope. Built and serialised once per
    /// scope and membership change, then shared by every node that declared the same services.
    /// </summary>
    public XdsResource ScopedEnvoyRoute(string scopeKey, IReadOnlySet<string> scope, XdsSnapshot snapshot)
    {
        // The route is named after the listener, which a reload may rename.
        if (_scopedRoutes.TryGetValue(scopeKey, out var cached) && cached.Membership == snapshot.MembershipGeneration && cached.Route.Name == _envoyListenerName)
        {
            return cached.Route;
        }

        var route = XdsResource.Create(_envoyListenerName, _translator.EnvoyRoute(snapshot.Services.Where(scope.Contains)));
        if (_scopedRoutes.Count < MaxScopedRoutes || _scopedRoutes.ContainsKey(scopeKey))
        {
            _scopedRoutes[scopeKey] = (snapshot.MembershipGeneration, route);
        }

        return route;
    }

    private const int MaxScopedRoutes = 100_000;
    private const int MaxTombstones = 10_000;

    /// <summary>Removed services still shown (without endpoints) to gRPC clients, oldest first.</summary>
    private readonly OrderedSet _tombstones = new();

    /// <summary>Insertion-ordered set of names.</summary>
    private sealed class OrderedSet
    {
        private readonly LinkedList<string> _order = new();
        private readonly Dictionary<string, LinkedListNode<string>> _nodes = new(StringComparer.Ordinal);

        public int Count => _nodes.Count;

        public void Add(string name) => _nodes[name] = _order.AddLast(name);

        public bool Remove(string name)
        {
            if (!_nodes.Remove(name, out var node))
            {
                return false;
            }

            _order.Remove(node);
            return true;
        }

        public string First() => _order.First!.Value;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, XdsResource> _portedListeners = new(StringComparer.Ordinal);

    /// <summary>
    /// A gRPC client dialling <c>xds:///web:8080</c> asks for the Listener <c>web:8080</c>; it gets one of exactly that
    /// name, routed like <c>web</c>'s. Built once per name (their content never changes) and only for served services.
    /// </summary>
    public XdsResource? GrpcListenerWithPort(string name, XdsSnapshot snapshot)
    {
        var colon = name.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(name.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return null;
        }

        var service = name[..colon];
        if (!snapshot.Services.Contains(service))
        {
            return null;
        }

        if (_portedListeners.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var listener = XdsResource.Create(name, ResourceTranslator.GrpcListener(name, routeName: service));
        return _portedListeners.Count < MaxScopedRoutes ? _portedListeners.GetOrAdd(name, listener) : listener;
    }

    /// <summary>Catalog subscriber: applies one catalog change.</summary>
    public void Apply(CatalogSnapshot catalog, CatalogDiff diff)
    {
        lock (_applyGate)
        {
            ApplyLocked(catalog, diff, rebuildAll: false);
        }
    }

    /// <summary>
    /// New translation settings (a reload): every service is translated again; only resources whose bytes
    /// changed get new versions, so proxies see exactly what the new settings changed.
    /// </summary>
    public void UpdateOptions(XdsOptions options, CatalogSnapshot catalog)
    {
        lock (_applyGate)
        {
            var retiredListener = options.EnvoyListenerName == _envoyListenerName ? null : _envoyListenerName;
            _translator = new ResourceTranslator(options, _logger);
            _envoyListenerName = options.EnvoyListenerName;
            var all = catalog.Services.Keys.Select(name => new ServiceChange(name, ServiceChangeKind.Changed, [], [], [])).ToImmutableArray();
            ApplyLocked(catalog, new CatalogDiff(all), rebuildAll: true, retiredListener);
        }
    }

    private void ApplyLocked(CatalogSnapshot catalog, CatalogDiff diff, bool rebuildAll, string? retiredListener = null)
    {
        var before = Current;
        var sets = before.Sets.ToBuilder();
        var changed = new Dictionary<string, HashSet<string>>();
        var removedCount = 0;

        void Put(ClientKind kind, string typeUrl, XdsResource resource, bool wildcard)
        {
            var set = sets.GetValueOrDefault((kind, typeUrl)) ?? ResourceSet.Empty;
            if (set.ByName.TryGetValue(resource.Name, out var existing) && existing.Version == resource.Version)
            {
                return;
            }

            sets[(kind, typeUrl)] = new ResourceSet(
                set.ByName.SetItem(resource.Name, resource),
                wildcard ? set.Wildcard.Add(resource.Name) : set.Wildcard);
            Changed(typeUrl).Add(resource.Name);
        }

        void Remove(ClientKind kind, string typeUrl, string name)
        {
            var set = sets.GetValueOrDefault((kind, typeUrl));
            if (set is null || !set.ByName.ContainsKey(name))
            {
                return;
            }

            sets[(kind, typeUrl)] = new ResourceSet(set.ByName.Remove(name), set.Wildcard.Remove(name));
            Changed(typeUrl).Add(name);
            removedCount++;
        }

        // A message equal to the one already served keeps its resource: nothing is serialised again.
        XdsResource Packed(ClientKind kind, string typeUrl, string name, Google.Protobuf.IMessage message) =>
            sets.GetValueOrDefault((kind, typeUrl))?.ByName.GetValueOrDefault(name) is { } existing && existing.Message.Equals(message)
                ? existing
                : XdsResource.Create(name, message);

        void LeaveWildcard(ClientKind kind, string typeUrl, string name)
        {
            if (sets.GetValueOrDefault((kind, typeUrl)) is { } set && set.Wildcard.Contains(name))
            {
                sets[(kind, typeUrl)] = set with { Wildcard = set.Wildcard.Remove(name) };
                Changed(typeUrl).Add(name);
            }
        }

        // Tombstones are bounded: past the limit the oldest removed service really leaves the gRPC view too.
        void Tombstone(string name)
        {
            _tombstones.Remove(name);
            _tombstones.Add(name);
            while (_tombstones.Count > MaxTombstones)
            {
                var oldest = _tombstones.First();
                _tombstones.Remove(oldest);
                foreach (var typeUrl in TypeUrls.All)
                {
                    Remove(ClientKind.Grpc, typeUrl, oldest);
                }
            }
        }

        HashSet<string> Changed(string typeUrl) =>
            changed.TryGetValue(typeUrl, out var names) ? names : changed[typeUrl] = new HashSet<string>(StringComparer.Ordinal);

        var membershipChanged = false;
        foreach (var change in diff.Changes)
        {
            if (change.Kind == ServiceChangeKind.Removed)
            {
                membershipChanged = true;
                Remove(ClientKind.Envoy, TypeUrls.Cluster, change.Service);
                Remove(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, change.Service);

                // gRPC clients keep a removed service's listener, route and cluster, with no endpoints: they ignore a
                // re-added resource whose content equals the one they saw deleted (grpc-js keeps its cache across the
                // deletion), so a service scaled to zero and back would stay unreachable. gRPC's own guidance
                // (ignore_resource_deletion) treats deletions this way too. RPCs fail as unavailable meanwhile.
                Put(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, Packed(ClientKind.Grpc, TypeUrls.ClusterLoadAssignment, change.Service, ResourceTranslator.EmptyAssignment(change.Service)), wildcard: false);
                foreach (var typeUrl in TypeUrls.All)
                {
                    LeaveWildcard(ClientKind.Grpc, typeUrl, change.Service);
                }

                Tombstone(change.Service);
                continue;
            }

            var service = catalog.Services[change.Service];
            var policy = ServicePolicy.From(service, _logger);
            var envoyCluster = _translator.Cluster(service, policy, ClientKind.Envoy);
            var grpcCluster = _translator.Cluster(service, policy, ClientKind.Grpc);
            var envoyResource = Packed(ClientKind.Envoy, TypeUrls.Cluster, service.Name, envoyCluster);
            Put(ClientKind.Envoy, TypeUrls.Cluster, envoyResource, wildcard: true);
            Put(ClientKind.Grpc, TypeUrls.Cluster, grpcCluster.Equals(envoyCluster) ? envoyResource : Packed(ClientKind.Grpc, TypeUrls.Cluster, service.Name, grpcCluster), wildcard: true);

            var assignment = Packed(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment, service.Name, _translator.Assignment(service));
            foreach (var kind in Kinds)
            {
                Put(kind, TypeUrls.ClusterLoadAssignment, assignment, wildcard: true);
            }

            _tombstones.Remove(service.Name);
            if (change.Kind == ServiceChangeKind.Added)
            {
                membershipChanged = true;
                // Answered only when asked for by name: a gRPC client never wants every service's listener.
                Put(ClientKind.Grpc, TypeUrls.Listener, XdsResource.Create(service.Name, ResourceTranslator.GrpcListener(service.Name)), wildcard: false);
                Put(ClientKind.Grpc, TypeUrls.RouteConfiguration, XdsResource.Create(service.Name, ResourceTranslator.GrpcRoute(service.Name)), wildcard: false);
            }
        }

        // A listener renamed by a reload replaces the old one: Envoy told of both would keep the old listener on the
        // address and refuse the new one, or keep listening where it no longer should.
        if (retiredListener is not null)
        {
            Remove(ClientKind.Envoy, TypeUrls.Listener, retiredListener);
            Remove(ClientKind.Envoy, TypeUrls.RouteConfiguration, retiredListener);
        }

        if (rebuildAll || !sets.ContainsKey((ClientKind.Envoy, TypeUrls.Listener)))
        {
            Put(ClientKind.Envoy, TypeUrls.Listener, Packed(ClientKind.Envoy, TypeUrls.Listener, _envoyListenerName, _translator.EnvoyListener()), wildcard: true);
        }

        if (rebuildAll || membershipChanged || !sets.ContainsKey((ClientKind.Envoy, TypeUrls.RouteConfiguration)))
        {
            Put(ClientKind.Envoy, TypeUrls.RouteConfiguration, Packed(ClientKind.Envoy, TypeUrls.RouteConfiguration, _envoyListenerName, _translator.EnvoyRoute(catalog.Services.Keys)), wildcard: false);
        }

        var ready = before.Ready || catalog.Synced;
        if (changed.Count == 0 && ready == before.Ready)
        {
            return;
        }

        var next = new XdsSnapshot(
            before.Generation + 1,
            ready,
            sets.ToImmutable(),
            changed.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableHashSet(StringComparer.Ordinal)))
        {
            ChangedAt = catalog.ChangedAt,
            Services = membershipChanged ? catalog.Services.Keys.ToImmutableSortedSet(StringComparer.Ordinal) : before.Services,
            MembershipGeneration = before.MembershipGeneration + (membershipChanged ? 1 : 0),
        };
        Volatile.Write(ref _changeLog[next.Generation % ChangeLogLength], new ChangeEntry(next.Generation, next.ChangedNames));
        TaskCompletionSource released;
        lock (_gate)
        {
            Volatile.Write(ref _current, next);
            released = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        released.SetResult();
        if (rebuildAll || ready != before.Ready)
        {
            Wakes.WakeAll();
        }
        else
        {
            Wakes.Wake(changed);
        }

        if (next.Ready)
        {
            _ready.TrySetResult();
        }

        XdsLog.SnapshotPublished(_logger, next.Generation, changed.Values.Sum(c => c.Count), removedCount);
    }

    private static readonly ClientKind[] Kinds = [ClientKind.Envoy, ClientKind.Grpc];
}
