using Google.Protobuf.WellKnownTypes;

namespace Bridge.Testing.Ads;

/// <summary>The <see cref="Node"/> a test client identifies as.</summary>
public static class AdsNodes
{
    /// <summary>The node-metadata key the bridge reads a client's kind from (<c>Ads:ClientKindMetadataKey</c>'s default).</summary>
    public const string ClientKindKey = "bridge.client_kind";

    /// <summary>A node that says it is an Envoy.</summary>
    /// <param name="id">The node id, as it appears in the bridge's logs.</param>
    /// <returns>A new node.</returns>
    public static Node Envoy(string id) => Create(id, "envoy", "envoy");

    /// <summary>A node that says it is a proxyless gRPC client.</summary>
    /// <param name="id">The node id, as it appears in the bridge's logs.</param>
    /// <returns>A new node.</returns>
    public static Node Grpc(string id) => Create(id, "grpc", "gRPC Bridge.Testing");

    /// <summary>A node with the given id, optional <see cref="ClientKindKey"/> metadata and user agent.</summary>
    /// <param name="id">The node id.</param>
    /// <param name="clientKind">Value of <see cref="ClientKindKey"/> (<c>envoy</c> or <c>grpc</c>); no metadata when null.</param>
    /// <param name="userAgentName">The <c>user_agent_name</c>, which the bridge falls back on to tell the kind.</param>
    /// <param name="cluster">The node's <c>cluster</c>.</param>
    /// <returns>A new node.</returns>
    public static Node Create(string id, string? clientKind = null, string userAgentName = "bridge-testing", string cluster = "bridge-testing")
    {
        var node = new Node { Id = id, Cluster = cluster, UserAgentName = userAgentName };
        if (clientKind is not null)
        {
            node.Metadata = new Struct { Fields = { [ClientKindKey] = Value.ForString(clientKind) } };
        }

        return node;
    }
}
