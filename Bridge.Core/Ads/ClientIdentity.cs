using Bridge.Core.Xds;
using Envoy.Config.Core.V3;

namespace Bridge.Core.Ads;

/// <summary>Who is on the other end of a stream, as its first request's node told us.</summary>
public sealed record ClientIdentity(string NodeId, string Cluster, ClientKind Kind, string UserAgent, Node? Node)
{
    /// <summary>
    /// Configuration wins, then the node-metadata key, then the user agent: gRPC libraries name themselves
    /// "gRPC ..." or "grpc-...", anything else is treated as an Envoy.
    /// </summary>
    public static ClientIdentity From(Node? node, AdsOptions options)
    {
        var id = node?.Id ?? "";
        var userAgent = node?.UserAgentName ?? "";
        ClientKind kind;
        if (options.ClientKindOverrides.TryGetValue(id, out var configured) && TryParseKind(configured, out var fromConfig))
        {
            kind = fromConfig;
        }
        else if (node?.Metadata?.Fields.TryGetValue(options.ClientKindMetadataKey, out var value) == true
                 && TryParseKind(value.StringValue, out var fromMetadata))
        {
            kind = fromMetadata;
        }
        else
        {
            kind = userAgent.StartsWith("grpc", StringComparison.OrdinalIgnoreCase) ? ClientKind.Grpc : ClientKind.Envoy;
        }

        return new ClientIdentity(id, node?.Cluster ?? "", kind, userAgent, node);
    }

    public static bool TryParseKind(string? text, out ClientKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "envoy":
                kind = ClientKind.Envoy;
                return true;
            case "grpc" or "proxyless":
                kind = ClientKind.Grpc;
                return true;
            default:
                kind = ClientKind.Envoy;
                return false;
        }
    }
}
