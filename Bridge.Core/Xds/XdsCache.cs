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
        _translator = new ResourceTranslator(options, logger, _reported);
    }

    /// <summary>What the translators of this cache have already logged once.</summary>
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

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
    /// scope and membership change (a reload counts as one), then shared by every node that declared the same
    /// services. Built with the translator of the snapshot it is for, so a reload never mixes settings.
    /// </summary>
    public XdsResource ScopedEnvoyRoute(string scopeKey, IReadOnlySet<string> scope, XdsSnapshot snapshot)
    {
        if (_scopedRoutes.TryGetValue(scopeKey, out var cached) && cached.Membership == snapshot.MembershipGeneration)
        {
            return cached.Route;
        }

        var translator = snapshot.Translator ?? _translator;
        var route = XdsResource.Create(translator.EnvoyListenerName, translator.EnvoyRoute(snapshot.Services.Where(scope.Contains)));
        if (_scopedRoutes.Count < MaxScopedRoutes || _scopedRoutes.ContainsKey(scopeKey))
        {
            _scopedRoutes[scopeKey] = (snapshot.MembershipGeneration, route);
        }

        return route;
    }

    private const int MaxScopedRoutes = 100_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, XdsResource> _portedListeners = new(StringComparer.Ordinal);

    /// <summary>
    /// A gRPC client dialling <c>xds:///web:8080</c> asks for the Listener <c>web:8080</c>; it gets one of exactly that
    /// name, routed like <c>web</c>'s, for as long as <c>web</c> has a gRPC listener (served, or departed and kept so
    /// that a client never learns it does not exist). Built once per name: their content never changes.
    /// </summary>
    public XdsResource? GrpcListenerWithPort(string name, XdsSnapshot snapshot)
    {
        var colon = name.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(name.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return null;
        }

        var service = name[..colon];
        if (!snapshot.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.ContainsKey(service))
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

    /// <summary>The catalog the current snapshot was built from: a reload translates this one, never an older one.</summary>
    private CatalogSnapshot _catalog = CatalogSnapshot.Empty;

    /// <summary>Catalog subscriber: applies one catalog change.</summary>
    public void Apply(CatalogSnapshot catalog, CatalogDiff diff)
    {
        lock (_applyGate)
        {
            var previousDeparted = _catalog.Departed;
            _catalog = catalog;
            var builder = new SnapshotBuilder(Current, _translator, _logger);
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
            var builder = new SnapshotBuilder(Current, _translator, _logger);
            builder.BuildAll(_catalog);
            Publish(builder, _catalog, rebuilt: true);
        }
    }

    /// <summary>What a fresh cache with these settings would serve for this catalog (for comparisons in tests).</summary>
    internal static XdsSnapshot BuildFresh(XdsOptions options, CatalogSnapshot catalog, ILogger logger)
    {
        var builder = new SnapshotBuilder(XdsSnapshot.Empty, new ResourceTranslator(options, logger), logger);
        builder.BuildAll(catalog);
        return builder.ToSnapshot(XdsSnapshot.Empty, catalog, rebuilt: true);
    }

    private void Publish(SnapshotBuilder builder, CatalogSnapshot catalog, bool rebuilt)
    {
        var before = Current;
        var ready = before.Ready || catalog.Synced;
        if (builder.Changed.Count == 0 && ready == before.Ready && !rebuilt)
        {
            return;
        }

        var next = builder.ToSnapshot(before, catalog, rebuilt);
        Volatile.Write(ref _changeLog[next.Generation % ChangeLogLength], new ChangeEntry(next.Generation, next.ChangedNames));
        TaskCompletionSource released;
        lock (_gate)
        {
            Volatile.Write(ref _current, next);
            released = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        released.SetResult();
        if (rebuilt || ready != before.Ready)
        {
            Wakes.WakeAll();
        }
        else
        {
            Wakes.Wake(builder.Changed);
        }

        if (next.Ready)
        {
            _ready.TrySetResult();
        }

        XdsLog.SnapshotPublished(_logger, next.Generation, builder.Changed.Values.Sum(c => c.Count), builder.RemovedCount);
    }

}
