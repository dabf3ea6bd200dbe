using Bridge.Core.Xds;

namespace Bridge.Core.Ads;

/// <summary>
/// What a node may see of a snapshot: a node that declared the services it calls gets only their clusters,
/// assignments (and, for gRPC, listeners and routes) and an Envoy route holding only their virtual hosts.
/// </summary>
internal static class ScopedLookup
{
    public static XdsResource? Find(ClientIdentity client, string typeUrl, ResourceSet set, string name, XdsCache cache, XdsSnapshot snapshot)
    {
        if (IsPerService(client.Kind, typeUrl) && !client.InScope(name))
        {
            return null;
        }

        if (!set.ByName.TryGetValue(name, out var resource))
        {
            return null;
        }

        return client.Scope is { } scope && client.Kind == ClientKind.Envoy && typeUrl == TypeUrls.RouteConfiguration
            ? cache.ScopedEnvoyRoute(client.ScopeKey, scope, snapshot)
            : resource;
    }

    /// <summary>The wildcard names of a type this node may see.</summary>
    public static IEnumerable<string> Wildcard(ClientIdentity client, string typeUrl, ResourceSet set) =>
        client.Scope is null || !IsPerService(client.Kind, typeUrl) ? set.Wildcard : set.Wildcard.Where(client.InScope);

    private static bool IsPerService(ClientKind kind, string typeUrl) =>
        typeUrl is TypeUrls.Cluster or TypeUrls.ClusterLoadAssignment || kind == ClientKind.Grpc;
}
