using Bridge.Core.Catalog.Chains;

namespace Bridge.Core.Xds.Chains;

/// <summary>
/// The discovery chains a snapshot serves, and what scoping needs to know of them: which services' chains reach each
/// cluster. A chain is served only for a service in the catalog, and only when <see cref="ChainChecks"/> finds nothing
/// wrong in it; a rejected chain leaves the one served before it in force (or none) and is listed with why.
/// </summary>
internal sealed record ServedChains
{
    public static ServedChains Empty { get; } = new();

    /// <summary>The chain served for each service that has one (never a default chain).</summary>
    public ImmutableSortedDictionary<string, DiscoveryChain> Chains { get; init; } = ImmutableSortedDictionary.Create<string, DiscoveryChain>(StringComparer.Ordinal);

    /// <summary>Services whose latest chain is not served, with the problem found in it.</summary>
    public ImmutableSortedDictionary<string, string> Rejected { get; init; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    /// <summary>Per service, what of its served chain a client kind is not sent as written.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<ChainNote>> Notes { get; init; } = ImmutableSortedDictionary.Create<string, ImmutableArray<ChainNote>>(StringComparer.Ordinal);

    /// <summary>
    /// Per cluster (and assignment) name, the services whose served chains reach it: a node scoped to one of them sees
    /// it. A whole local target keeps its service's own name (<c>api</c>), so a chain splitting to <c>api</c> owns it too.
    /// </summary>
    public ImmutableDictionary<string, ImmutableSortedSet<string>> Owners { get; init; } = ImmutableDictionary.Create<string, ImmutableSortedSet<string>>(StringComparer.Ordinal);

    /// <summary>Whether the chain of a service in <paramref name="scope"/> reaches the cluster <paramref name="name"/>.</summary>
    public bool Reaches(IReadOnlySet<string> scope, string name)
    {
        if (Owners.TryGetValue(name, out var owners))
        {
            foreach (var owner in owners)
            {
                if (scope.Contains(owner))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The chain whose translation of <paramref name="name"/> is served: the target's own service's chain if it reaches it, else the first by name.</summary>
    public DiscoveryChain? OwnerOf(string name)
    {
        if (!Owners.TryGetValue(name, out var owners))
        {
            return null;
        }

        var service = ChainClusterNames.Service(name);
        return Chains[owners.Contains(service) ? service : owners.Min!];
    }

    /// <summary>Whether <paramref name="other"/> serves the same chains with the same rejections and notes.</summary>
    public bool SameAs(ServedChains other) =>
        Chains.SequenceEqual(other.Chains)
        && Rejected.SequenceEqual(other.Rejected)
        && Notes.Count == other.Notes.Count
        && Notes.All(kv => other.Notes.TryGetValue(kv.Key, out var notes) && notes.SequenceEqual(kv.Value));

    /// <summary>The owners of every cluster name of these chains.</summary>
    public static ImmutableDictionary<string, ImmutableSortedSet<string>> OwnersOf(IEnumerable<DiscoveryChain> chains)
    {
        var owners = new Dictionary<string, ImmutableSortedSet<string>.Builder>(StringComparer.Ordinal);
        foreach (var chain in chains)
        {
            foreach (var name in ChainTranslator.ClusterNames(chain))
            {
                if (!owners.TryGetValue(name, out var set))
                {
                    owners[name] = set = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
                }

                set.Add(chain.ServiceName);
            }
        }

        return owners.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutable(), StringComparer.Ordinal);
    }
}

/// <summary>What <c>/debug/xds</c> shows of one service's routing.</summary>
/// <param name="Clusters">The clusters its served chain reaches, routes lead to them; empty when none is served.</param>
/// <param name="NotSent">What a kind of client is not sent of it, and what it gets instead.</param>
/// <param name="Rejected">Why its latest chain is not served (the clusters listed are the previous chain's); null when it is.</param>
public sealed record ChainSummary(string Service, IReadOnlyList<string> Clusters, IReadOnlyList<string> NotSent, string? Rejected);
