using Bridge.Core.Xds;

namespace Bridge.Core.Ads;

/// <summary>
/// What a node may see of a snapshot: a node that declared the services it calls gets only their clusters,
/// assignments (and, for gRPC, listeners and routes) and an Envoy route holding only their virtual hosts, and the
/// clusters and assignments the served discovery chains of those services reach (<c>web~v2</c>, a service a split
/// leads to, a failover target in another datacenter).
/// </summary>
internal static class ScopedLookup
{
    public static XdsResource? Find(ClientIdentity client, string typeUrl, ResourceSet set, string name, XdsSnapshot snapshot)
    {
        if (IsPerService(client.Kind, typeUrl) && !Visible(client, snapshot, name))
        {
            return null;
        }

        if (!set.ByName.TryGetValue(name, out var resource))
        {
            return null;
        }

        // The scope's own route was built when the stream declared it (XdsCache.HoldScope): never the full one.
        if (client.Scope is not null && client.Kind == ClientKind.Envoy && typeUrl == TypeUrls.RouteConfiguration)
        {
            return snapshot.ScopedRoutes.GetValueOrDefault(client.ScopeKey);
        }

        // A node of a calling service with upstream settings gets its own shape of the clusters they change.
        return typeUrl == TypeUrls.Cluster && client.Caller is { } caller && snapshot.Callers.TryGetValue(caller, out var clusters)
            && clusters.Of(client.Kind).TryGetValue(name, out var own)
            ? own
            : resource;
    }

    /// <summary>The wildcard names of a type this node may see.</summary>
    public static IEnumerable<string> Wildcard(ClientIdentity client, string typeUrl, ResourceSet set, XdsSnapshot snapshot) =>
        client.Scope is null || !IsPerService(client.Kind, typeUrl) ? set.Wildcard : set.Wildcard.Where(name => Visible(client, snapshot, name));

    /// <summary>Whether a name is in the wildcard set of a type as this node may see it.</summary>
    public static bool InWildcard(ClientIdentity client, string typeUrl, ResourceSet set, string name, XdsSnapshot snapshot) =>
        set.Wildcard.Contains(name) && (client.Scope is null || !IsPerService(client.Kind, typeUrl) || Visible(client, snapshot, name));

    /// <summary>
    /// Whether a change to these names can matter to a stream: a name it subscribed to or holds, or, under a
    /// wildcard, any name it may see. Lets a stream skip a snapshot in O(changes) instead of O(subscriptions).
    /// </summary>
    public static bool AnyRelevant(ClientIdentity client, string typeUrl, IReadOnlySet<string> changed, ISet<string> names, bool wildcard, Func<string, bool> held, XdsSnapshot snapshot)
    {
        foreach (var name in changed)
        {
            if (names.Contains(name) || held(name) || (wildcard && (client.Scope is null || !IsPerService(client.Kind, typeUrl) || Visible(client, snapshot, name))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Listing more names than this, a subscription is woken by the type's wildcard key rather than name by name: an
    /// Envoy lists every cluster's assignment, and a thousand keys per stream (and its place in a thousand buckets)
    /// cost more memory than the few needless wake-ups, which find nothing relevant in O(changes).
    /// </summary>
    internal const int MaxNamedWakeKeys = 128;

    /// <summary>
    /// The wake keys of one type's subscription (see <see cref="WakeIndex"/>): every listed name; under a wildcard,
    /// the node's scope when it narrows this type, else the type's wildcard key, which also stands for a long list.
    /// </summary>
    public static void AddWakeKeys(ClientIdentity client, string typeUrl, bool wildcard, IReadOnlyCollection<string> names, HashSet<string> keys)
    {
        if (names.Count > MaxNamedWakeKeys)
        {
            // Every change of the type wakes this key: it covers the names and any scope.
            keys.Add(WakeIndex.WildcardKey(typeUrl));
            return;
        }

        if (wildcard)
        {
            if (client.Scope is { } scope && IsPerService(client.Kind, typeUrl))
            {
                keys.UnionWith(scope);
            }
            else
            {
                keys.Add(WakeIndex.WildcardKey(typeUrl));
            }
        }

        keys.UnionWith(names);
    }

    /// <summary>Whether a per-service resource is for this node: its service is in scope, or a chain of one that is reaches it.</summary>
    private static bool Visible(ClientIdentity client, XdsSnapshot snapshot, string name) =>
        client.Scope is not { } scope || scope.Contains(ServiceOf(name)) || snapshot.Chains.Reaches(scope, name);

    /// <summary>A gRPC listener may be asked for as <c>service:port</c>; scoping looks at the service.</summary>
    private static string ServiceOf(string name) => ResourceTranslator.PortedService(name) ?? name;

    private static bool IsPerService(ClientKind kind, string typeUrl) =>
        typeUrl is TypeUrls.Cluster or TypeUrls.ClusterLoadAssignment || kind == ClientKind.Grpc;
}
