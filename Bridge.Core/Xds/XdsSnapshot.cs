namespace Bridge.Core.Xds;

/// <summary>The resources of one type as one client kind sees them.</summary>
public sealed record ResourceSet(
    ImmutableSortedDictionary<string, XdsResource> ByName,
    ImmutableSortedSet<string> Wildcard)
{
    public static ResourceSet Empty { get; } = new(
        ImmutableSortedDictionary.Create<string, XdsResource>(StringComparer.Ordinal),
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal));
}

/// <summary>
/// Everything the bridge serves at one moment, per client kind and type URL. Immutable: the cache builds a
/// new one from the previous one and swaps it in; streams only read it.
/// </summary>
public sealed record XdsSnapshot(
    long Generation,
    bool Ready,
    ImmutableDictionary<(ClientKind Kind, string TypeUrl), ResourceSet> Sets,
    ImmutableDictionary<string, ImmutableHashSet<string>> ChangedNames)
{
    public static XdsSnapshot Empty { get; } = new(
        0, false, ImmutableDictionary<(ClientKind, string), ResourceSet>.Empty, ImmutableDictionary<string, ImmutableHashSet<string>>.Empty);

    /// <summary>Every served service, and a number that changes whenever one is added or removed.</summary>
    public ImmutableSortedSet<string> Services { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    public long MembershipGeneration { get; init; }

    /// <summary>Stopwatch timestamp of the Consul answer that caused this snapshot; 0 when unknown.</summary>
    public long ChangedAt { get; init; }

    /// <summary>Departed services still shown to gRPC clients, with no endpoints (see <see cref="Catalog.CatalogSnapshot.Departed"/>).</summary>
    public ImmutableSortedSet<string> Tombstones { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Names served for their discovery chain alone, with no catalog instances (Consul's virtual services).</summary>
    public ImmutableSortedSet<string> Virtuals { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Per service, the instances translation left out (port, address, a repeated address:port) and why.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<Consul.SkippedInstance>> LeftOut { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableArray<Consul.SkippedInstance>>(StringComparer.Ordinal);

    /// <summary>Per service, the service meta values ignored as invalid (the default applies instead).</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<MetaProblem>> InvalidMeta { get; init; } =
        ImmutableSortedDictionary.Create<string, ImmutableArray<MetaProblem>>(StringComparer.Ordinal);

    /// <summary>
    /// Envoy's outbound RouteConfiguration per declared scope (see <c>ClientIdentity.ScopeKey</c>), holding only the
    /// virtual hosts of the scope's services; shared by every node that declared the same services.
    /// </summary>
    public ImmutableDictionary<string, XdsResource> ScopedRoutes { get; init; } = ImmutableDictionary.Create<string, XdsResource>(StringComparer.Ordinal);

    /// <summary>The discovery chains served, those rejected, and which chains reach each cluster (for scoping).</summary>
    internal Chains.ServedChains Chains { get; init; } = Xds.Chains.ServedChains.Empty;

    /// <summary>Per service with routing (served or rejected): its chain's clusters, what is not sent of it, why it is not served.</summary>
    public IReadOnlyList<Chains.ChainSummary> DescribeChains() =>
        [.. Chains.Chains.Keys.Union(Chains.Rejected.Keys).Order(StringComparer.Ordinal).Select(service => new Chains.ChainSummary(
            service,
            Chains.Chains.TryGetValue(service, out var chain) ? [.. Xds.Chains.ChainTranslator.ClusterNames(chain)] : [],
            Chains.Notes.TryGetValue(service, out var notes) ? [.. notes.Select(n => $"{n.Kind.ToString().ToLowerInvariant()}: {n.Where}: {n.What}")] : [],
            Chains.Rejected.GetValueOrDefault(service)))];

    /// <summary>
    /// Per calling service (matched ignoring case), the clusters its nodes are served in place of the shared ones: the
    /// shared cluster with the caller's <c>service-defaults</c> <c>UpstreamConfig</c> applied. A cluster the caller's
    /// settings do not change is not listed.
    /// </summary>
    public ImmutableDictionary<string, CallerClusters> Callers { get; init; } = ImmutableDictionary.Create<string, CallerClusters>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The upstream settings the caller clusters were built from.</summary>
    internal ImmutableSortedDictionary<string, Catalog.Chains.CallerUpstreams> CallerSettings { get; init; } =
        ImmutableSortedDictionary.Create<string, Catalog.Chains.CallerUpstreams>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Per calling service: its settings per upstream, and the clusters its nodes get shaped by them.</summary>
    public IReadOnlyList<CallerSummary> DescribeCallers() =>
        [.. CallerSettings.Select(kv => new CallerSummary(
            kv.Key,
            kv.Value.Defaults.ToString(),
            kv.Value.Overrides.ToDictionary(o => o.Upstream, o => o.Policy.ToString(), StringComparer.Ordinal),
            Callers.TryGetValue(kv.Key, out var clusters) ? [.. clusters.Envoy.Keys.Union(clusters.Grpc.Keys).Order(StringComparer.Ordinal)] : [],
            [.. kv.Value.NotApplied]))];

    public ResourceSet Get(ClientKind kind, string typeUrl) => Sets.GetValueOrDefault((kind, typeUrl)) ?? ResourceSet.Empty;

    /// <summary>Whether a resource of this name and type may differ from the previous generation.</summary>
    public bool MayHaveChanged(string typeUrl, string name) =>
        ChangedNames.TryGetValue(typeUrl, out var names) && names.Contains(name);
}

/// <summary>A service meta value that is ignored: its key, the value, and what would have been accepted.</summary>
public sealed record MetaProblem(string Key, string Value, string Accepted);

/// <summary>The clusters of one calling service's nodes that differ from the shared ones, per client kind, by name.</summary>
public sealed record CallerClusters(ImmutableDictionary<string, XdsResource> Envoy, ImmutableDictionary<string, XdsResource> Grpc)
{
    public static CallerClusters Empty { get; } = new(
        ImmutableDictionary.Create<string, XdsResource>(StringComparer.Ordinal), ImmutableDictionary.Create<string, XdsResource>(StringComparer.Ordinal));

    public ImmutableDictionary<string, XdsResource> Of(ClientKind kind) => kind == ClientKind.Grpc ? Grpc : Envoy;

    public CallerClusters With(ClientKind kind, ImmutableDictionary<string, XdsResource> clusters) =>
        kind == ClientKind.Grpc ? this with { Grpc = clusters } : this with { Envoy = clusters };

    public bool IsEmpty => Envoy.IsEmpty && Grpc.IsEmpty;
}

/// <summary>A calling service's upstream settings as <c>/debug/xds</c> shows them.</summary>
public sealed record CallerSummary(string Caller, string Defaults, IReadOnlyDictionary<string, string> Overrides, IReadOnlyList<string> Clusters, IReadOnlyList<string> NotApplied);
