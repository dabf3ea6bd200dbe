using Bridge.Core.Catalog;

namespace Bridge.Core.Xds;

/// <summary>
/// The producer side of the xDS stage: it applies catalog changes and settings reloads, builds the next immutable
/// <see cref="XdsSnapshot"/> holding everything any stream may be sent (per-kind resources, gRPC tombstones and
/// <c>service:port</c> listeners, Envoy routes per declared scope), publishes it, and wakes the streams it concerns.
/// Streams only read snapshots; what a stream needs built that no snapshot has yet (a new scope, a new
/// <c>service:port</c> name) it asks for here, and gets a new snapshot before its request returns.
/// </summary>
internal sealed class XdsCache
{
    /// <summary>Distinct scopes, and distinct <c>service:port</c> listener names, built at most: past them a stream is refused its extra.</summary>
    internal const int MaxExtras = 100_000;

    private readonly object _applyGate = new();
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What the translators of this cache have already logged once.</summary>
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <summary>Scopes declared by open streams: their services (what a build reads, as is) and how many streams hold each.</summary>
    private readonly Dictionary<string, IReadOnlySet<string>> _scopes = new(StringComparer.Ordinal);

    private readonly Dictionary<string, int> _scopeHolders = new(StringComparer.Ordinal);

    /// <summary><c>service:port</c> listener names gRPC clients asked for.</summary>
    private readonly HashSet<string> _portedNames = new(StringComparer.Ordinal);

    private ResourceTranslator _translator;
    private XdsSnapshot _current = XdsSnapshot.Empty;

    /// <summary>The catalog the current snapshot was built from: a reload translates this one, never an older one.</summary>
    private CatalogSnapshot _catalog = CatalogSnapshot.Empty;

    public XdsCache(XdsOptions options, ILogger<XdsCache> logger)
    {
        _logger = logger;
        _translator = new ResourceTranslator(options, logger, _reported);
    }

    public XdsSnapshot Current => Volatile.Read(ref _current);

    /// <summary>The streams waiting for changes, by what they subscribed to: a snapshot wakes only those it concerns.</summary>
    public WakeIndex Wakes { get; } = new();

    /// <summary>What each recent snapshot changed, for streams catching up.</summary>
    public ChangeLog Changes { get; } = new();

    /// <summary>Encoded responses of several resources, shared by the streams sent the same content.</summary>
    internal ResponseBodies Bodies { get; } = new();

    /// <summary>Completes when the first snapshot built from a full catalog (from Consul or the state file) is published.</summary>
    public Task WhenReady => _ready.Task;

    /// <inheritdoc cref="ChangeLog.ChangedSince"/>
    public IReadOnlySet<string>? ChangedSince(long since, XdsSnapshot snapshot, string typeUrl) => Changes.ChangedSince(since, snapshot, typeUrl);

    /// <summary>An empty assignment for a requested name the catalog does not have: gRPC clients block on a missing one.</summary>
    public static XdsResource EmptyAssignment(string name) => XdsResource.Create(name, ResourceTranslator.EmptyAssignment(name));

    /// <summary>Catalog subscriber: applies one catalog change.</summary>
    public void Apply(CatalogSnapshot catalog, CatalogDiff diff)
    {
        lock (_applyGate)
        {
            var previousDeparted = _catalog.Departed;
            _catalog = catalog;
            var builder = Builder();
            builder.ApplyChanges(catalog, diff, previousDeparted);
            Publish(builder, catalog, rebuilt: false);
        }
    }

    /// <summary>
    /// New translation settings (a reload): everything is built again from the catalog this cache last applied, as
    /// a fresh start with the new settings would build it; only resources whose bytes changed get new versions, so
    /// proxies see exactly what the new settings changed.
    /// </summary>
    public void UpdateOptions(XdsOptions options)
    {
        lock (_applyGate)
        {
            _translator = new ResourceTranslator(options, _logger, _reported);
            var builder = Builder();
            builder.BuildAll(_catalog);
            Publish(builder, _catalog, rebuilt: true);
        }
    }

    /// <summary>
    /// A stream whose node declared the services it calls holds this scope while it is open: the Envoy route of the
    /// scope is in every snapshot from now on (one per distinct scope, shared by every node that declared it).
    /// Dispose the lease when the stream ends. Null when too many distinct scopes are held already.
    /// </summary>
    public IDisposable? HoldScope(string key, IReadOnlySet<string> services)
    {
        lock (_applyGate)
        {
            if (_scopeHolders.TryGetValue(key, out var holders))
            {
                _scopeHolders[key] = holders + 1;
                return new ScopeLease(this, key);
            }

            if (_scopes.Count >= MaxExtras)
            {
                return null;
            }

            _scopes[key] = services;
            _scopeHolders[key] = 1;
            var builder = Builder();
            builder.AddScope(key, services, _catalog);
            Publish(builder, _catalog, rebuilt: false, always: true);
            return new ScopeLease(this, key);
        }
    }

    private void ReleaseScope(string key)
    {
        lock (_applyGate)
        {
            if (_scopeHolders.TryGetValue(key, out var holders))
            {
                // Dropped from the next snapshot built; nothing is published just for that.
                _scopeHolders[key] = holders - 1;
                if (holders <= 1)
                {
                    _scopeHolders.Remove(key);
                    _scopes.Remove(key);
                }
            }
        }
    }

    /// <summary>
    /// A gRPC client dialling <c>xds:///web:8080</c> asks for the Listener <c>web:8080</c>: from now on every snapshot
    /// has one of exactly that name, routed like <c>web</c>'s, for as long as <c>web</c> has a gRPC listener (served,
    /// or departed and kept so that a client never learns it does not exist). Names that are not
    /// <c>service:port</c> are ignored.
    /// </summary>
    public void RequestPortedListener(string name)
    {
        if (ResourceTranslator.PortedService(name) is null)
        {
            return;
        }

        lock (_applyGate)
        {
            if (_portedNames.Contains(name) || _portedNames.Count >= MaxExtras)
            {
                return;
            }

            _portedNames.Add(name);
            var builder = Builder();
            builder.AddPortedListener(name);
            Publish(builder, _catalog, rebuilt: false);
        }
    }

    /// <summary>What a fresh cache with these settings, streams holding these scopes and asking for these <c>service:port</c> listeners would serve for this catalog (for comparisons in tests).</summary>
    internal static XdsSnapshot BuildFresh(
        XdsOptions options, CatalogSnapshot catalog, ILogger logger, IReadOnlyDictionary<string, IReadOnlySet<string>>? scopes = null, IReadOnlyCollection<string>? portedNames = null)
    {
        var builder = new SnapshotBuilder(XdsSnapshot.Empty, new ResourceTranslator(options, logger), logger, scopes ?? new Dictionary<string, IReadOnlySet<string>>(), portedNames ?? []);
        builder.BuildAll(catalog);
        return builder.ToSnapshot(XdsSnapshot.Empty, catalog, rebuilt: true);
    }

    /// <summary>A builder over the current snapshot; it reads the held scopes and names as they are, so it lives under the gate.</summary>
    private SnapshotBuilder Builder() => new(Current, _translator, _logger, _scopes, _portedNames);

    private void Publish(SnapshotBuilder builder, CatalogSnapshot catalog, bool rebuilt, bool always = false)
    {
        var before = Current;
        var ready = before.Ready || catalog.Synced;
        if (builder.Changed.Count == 0 && ready == before.Ready && !rebuilt && !always && !builder.ChainsChanged)
        {
            return;
        }

        var next = builder.ToSnapshot(before, catalog, rebuilt);
        Changes.Record(next);
        Volatile.Write(ref _current, next);
        if (rebuilt || ready != before.Ready)
        {
            Wakes.WakeAll();
        }
        else
        {
            Wakes.Wake(WithChainOwners(builder.Changed, before, next));
        }

        if (next.Ready)
        {
            _ready.TrySetResult();
        }

        XdsLog.SnapshotPublished(_logger, next.Generation, builder.Changed.Values.Sum(c => c.Count), builder.RemovedCount);
    }

    /// <summary>
    /// The changed names, and for each cluster or assignment a served chain reaches, the services whose chains reach it:
    /// a scoped stream holds its services as keys, and <c>web~v2</c> changing concerns every node scoped to <c>web</c>.
    /// </summary>
    private static Dictionary<string, HashSet<string>> WithChainOwners(Dictionary<string, HashSet<string>> changed, XdsSnapshot before, XdsSnapshot next)
    {
        if (before.Chains.Owners.IsEmpty && next.Chains.Owners.IsEmpty)
        {
            return changed;
        }

        var keys = new Dictionary<string, HashSet<string>>(changed, StringComparer.Ordinal);
        foreach (var typeUrl in new[] { TypeUrls.Cluster, TypeUrls.ClusterLoadAssignment })
        {
            if (changed.TryGetValue(typeUrl, out var names))
            {
                var withOwners = new HashSet<string>(names, StringComparer.Ordinal);
                foreach (var name in names)
                {
                    withOwners.UnionWith(before.Chains.Owners.GetValueOrDefault(name) ?? []);
                    withOwners.UnionWith(next.Chains.Owners.GetValueOrDefault(name) ?? []);
                }

                keys[typeUrl] = withOwners;
            }
        }

        return keys;
    }

    private sealed class ScopeLease(XdsCache cache, string key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                cache.ReleaseScope(key);
            }
        }
    }
}
