using Bridge.Core.Xds;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.Testing.Ads;

/// <summary>Decodes the resources of ADS responses.</summary>
public static class ResponseDecoding
{
    /// <summary>Every resource of <paramref name="response"/> unpacked as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The resource message type, e.g. <see cref="Cluster"/>.</typeparam>
    /// <param name="response">A state-of-the-world response.</param>
    /// <returns>The resources in the order sent.</returns>
    /// <exception cref="InvalidProtocolBufferException">A resource is not a <typeparamref name="T"/>.</exception>
    public static IReadOnlyList<T> Unpack<T>(this DiscoveryResponse response)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(response);
        var result = new T[response.Resources.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = response.Resources[i].Unpack<T>();
        }

        return result;
    }

    /// <summary>Every resource of <paramref name="response"/> unpacked as <typeparamref name="T"/>, by resource name.</summary>
    /// <typeparam name="T">The resource message type, e.g. <see cref="ClusterLoadAssignment"/>.</typeparam>
    /// <param name="response">A delta response.</param>
    /// <returns>Resource name to message; entries without a body (TTL heartbeats) are left out.</returns>
    public static IReadOnlyDictionary<string, T> Unpack<T>(this DeltaDiscoveryResponse response)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(response);
        var result = new Dictionary<string, T>(response.Resources.Count, StringComparer.Ordinal);
        foreach (var resource in response.Resources)
        {
            if (resource.Resource_ is { } body)
            {
                result[resource.Name] = body.Unpack<T>();
            }
        }

        return result;
    }

    /// <summary>
    /// The names of the resources in <paramref name="response"/>, read from each resource (a ClusterLoadAssignment's
    /// <c>cluster_name</c>, otherwise <c>name</c>) for the four types the bridge serves.
    /// </summary>
    /// <param name="response">A state-of-the-world response.</param>
    /// <returns>The names in the order sent.</returns>
    /// <exception cref="NotSupportedException">The response is of another type.</exception>
    public static IReadOnlyList<string> ResourceNames(this DiscoveryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var names = new string[response.Resources.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = NameOf(response.TypeUrl, response.Resources[i]);
        }

        return names;
    }

    /// <summary>The names of the resources (not the removals) in <paramref name="response"/>.</summary>
    /// <param name="response">A delta response.</param>
    /// <returns>The names in the order sent.</returns>
    public static IReadOnlyList<string> ResourceNames(this DeltaDiscoveryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return [.. response.Resources.Select(r => r.Name)];
    }

    /// <summary>Resource name to version for the resources of <paramref name="response"/>.</summary>
    /// <param name="response">A delta response.</param>
    /// <returns>The versions by name.</returns>
    public static IReadOnlyDictionary<string, string> ResourceVersions(this DeltaDiscoveryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Resources.ToDictionary(r => r.Name, r => r.Version, StringComparer.Ordinal);
    }

    /// <summary>The clusters of a CDS response.</summary>
    /// <param name="response">A response of type <see cref="TypeUrls.Cluster"/>.</param>
    /// <returns>The clusters in the order sent.</returns>
    public static IReadOnlyList<Cluster> Clusters(this DiscoveryResponse response) => response.Unpack<Cluster>();

    /// <summary>The assignments of an EDS response.</summary>
    /// <param name="response">A response of type <see cref="TypeUrls.ClusterLoadAssignment"/>.</param>
    /// <returns>The assignments in the order sent.</returns>
    public static IReadOnlyList<ClusterLoadAssignment> Assignments(this DiscoveryResponse response) => response.Unpack<ClusterLoadAssignment>();

    /// <summary>The listeners of an LDS response.</summary>
    /// <param name="response">A response of type <see cref="TypeUrls.Listener"/>.</param>
    /// <returns>The listeners in the order sent.</returns>
    public static IReadOnlyList<Listener> Listeners(this DiscoveryResponse response) => response.Unpack<Listener>();

    /// <summary>The route configurations of an RDS response.</summary>
    /// <param name="response">A response of type <see cref="TypeUrls.RouteConfiguration"/>.</param>
    /// <returns>The route configurations in the order sent.</returns>
    public static IReadOnlyList<RouteConfiguration> Routes(this DiscoveryResponse response) => response.Unpack<RouteConfiguration>();

    /// <summary>The endpoint addresses of an assignment as <c>host:port</c>, in the order listed.</summary>
    /// <param name="assignment">A ClusterLoadAssignment.</param>
    /// <returns>Every endpoint of every locality.</returns>
    public static IReadOnlyList<string> EndpointAddresses(this ClusterLoadAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        return [.. assignment.Endpoints
            .SelectMany(l => l.LbEndpoints)
            .Select(e => e.Endpoint.Address.SocketAddress)
            .Select(a => $"{a.Address}:{a.PortValue}")];
    }

    private static string NameOf(string typeUrl, Any resource) => typeUrl switch
    {
        TypeUrls.Cluster => resource.Unpack<Cluster>().Name,
        TypeUrls.ClusterLoadAssignment => resource.Unpack<ClusterLoadAssignment>().ClusterName,
        TypeUrls.Listener => resource.Unpack<Listener>().Name,
        TypeUrls.RouteConfiguration => resource.Unpack<RouteConfiguration>().Name,
        _ => throw new NotSupportedException($"No name reader for resources of type {typeUrl}."),
    };
}
