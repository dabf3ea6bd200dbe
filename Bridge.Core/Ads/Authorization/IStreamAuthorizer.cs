using Node = Envoy.Config.Core.V3.Node;
using Grpc.Core;

namespace Bridge.Core.Ads.Authorization;

/// <summary>Whether a proxy may have an ADS stream, and if not, why (for the operator and the proxy; never a secret).</summary>
internal readonly record struct AuthorizationDecision(bool Allowed, string Reason)
{
    public static AuthorizationDecision Allow { get; } = new(true, "");

    public static AuthorizationDecision Deny(string reason) => new(false, reason);
}

/// <summary>
/// Decides which proxies an ADS stream is served to: once when the stream opens, from its call metadata, and once
/// on its first request, from the node that request names.
/// </summary>
internal interface IStreamAuthorizer
{
    /// <summary>Whether <see cref="AuthorizeNode"/> must see the first request; when false, the stream is not wrapped.</summary>
    bool InspectsNode { get; }

    /// <summary>Checked when the stream opens, before anything is read from it.</summary>
    AuthorizationDecision AuthorizeCall(Metadata requestHeaders);

    /// <summary>Checked on the stream's first request, before the stream sees it.</summary>
    AuthorizationDecision AuthorizeNode(Node? node);
}
