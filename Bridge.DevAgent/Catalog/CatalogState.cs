using Bridge.DevAgent.ConfigEntries;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// One immutable version of the catalog with Consul's index tables. Writers build a new state and
/// swap it in; readers take whichever state is current and never lock.
/// </summary>
internal sealed record CatalogState
{
    public static CatalogState Empty { get; } = new()
    {
        // Raft's first entry is an internal configuration write, so user data starts above 1.
        Index = 1,
        NodesIndex = 0,
        ServicesIndex = 0,
        ChecksIndex = 0,
        ExtinctionIndex = 0,
        ServiceIndexes = ImmutableDictionary.Create<string, ulong>(StringComparer.Ordinal),
        Nodes = ImmutableSortedDictionary.Create<string, NodeEntry>(StringComparer.Ordinal),
        ServicesByName = ImmutableSortedDictionary.Create<string, ImmutableSortedSet<ServiceInstanceKey>>(StringComparer.Ordinal),
        ConfigEntriesIndex = 0,
        ConfigEntries = ImmutableSortedDictionary<ConfigEntryKey, ConfigEntry>.Empty,
    };

    /// <summary>Index of the last write (the Raft index).</summary>
    public required ulong Index { get; init; }

    /// <summary>Index of the <c>nodes</c> table.</summary>
    public required ulong NodesIndex { get; init; }

    /// <summary>Index of the <c>services</c> table (what <c>/catalog/services</c> reports).</summary>
    public required ulong ServicesIndex { get; init; }

    /// <summary>Index of the <c>checks</c> table (what <c>/health/state</c> reports).</summary>
    public required ulong ChecksIndex { get; init; }

    /// <summary>Index at which the last service name lost its last instance (<c>service_last_extinction</c>).</summary>
    public required ulong ExtinctionIndex { get; init; }

    /// <summary>Per-service-name indexes (<c>service.&lt;name&gt;</c>, Consul ≥ 1.0.7); removed when a name goes extinct.</summary>
    public required ImmutableDictionary<string, ulong> ServiceIndexes { get; init; }

    public required ImmutableSortedDictionary<string, NodeEntry> Nodes { get; init; }

    public required ImmutableSortedDictionary<string, ImmutableSortedSet<ServiceInstanceKey>> ServicesByName { get; init; }

    /// <summary>
    /// Index of the <c>config-entries</c> table: one for every kind, as Consul's state store keeps it, moved by every
    /// config entry write and by nothing else.
    /// </summary>
    public required ulong ConfigEntriesIndex { get; init; }

    /// <summary>Config entries by kind and lower-case name (Consul's <c>id</c> index), so listings come in its order.</summary>
    public required ImmutableSortedDictionary<ConfigEntryKey, ConfigEntry> ConfigEntries { get; init; }

    /// <summary>The entries of one kind, or of every kind when <paramref name="kind"/> is empty, in Consul's order.</summary>
    public IEnumerable<ConfigEntry> ConfigEntriesOf(string kind) =>
        kind.Length == 0 ? ConfigEntries.Values : ConfigEntries.Where(p => p.Key.Kind == kind).Select(p => p.Value);

    /// <summary>
    /// The index a query on one service reports (state store <c>maxIndexForService</c>): the service's own
    /// index while it has instances, else the last extinction index, else the highest table index.
    /// </summary>
    public ulong ServiceIndex(string serviceName)
    {
        if (ServicesByName.ContainsKey(serviceName) && ServiceIndexes.TryGetValue(serviceName, out var index))
        {
            return index;
        }

        return ExtinctionIndex > 0 ? ExtinctionIndex : Math.Max(NodesIndex, Math.Max(ServicesIndex, ChecksIndex));
    }

    /// <summary>Instances of a service in Consul's order (node, then instance ID).</summary>
    public IEnumerable<(NodeEntry Node, ServiceRecord Service)> Instances(string serviceName)
    {
        if (!ServicesByName.TryGetValue(serviceName, out var keys))
        {
            yield break;
        }

        foreach (var key in keys)
        {
            var node = Nodes[key.Node];
            yield return (node, node.Services[key.ServiceId]);
        }
    }

    public bool TryGetCheck(string node, string checkId, out CheckRecord check)
    {
        check = null!;
        return Nodes.TryGetValue(node, out var entry) && entry.Checks.TryGetValue(checkId, out check!);
    }
}
