using Grpc.Core;
using Node = Envoy.Config.Core.V3.Node;

namespace Bridge.Core.Ads.Authorization;

/// <summary>
/// The authorization rules in force, swappable by a configuration reload: streams opened after the swap are
/// checked against the new rules; streams already open keep running.
/// </summary>
internal sealed class ReloadableStreamAuthorizer : IStreamAuthorizer
{
    private StreamAuthorizer? _current;

    public ReloadableStreamAuthorizer(AdsAuthorizationOptions options) => Update(options);

    public bool InspectsNode => Volatile.Read(ref _current)?.InspectsNode == true;

    public void Update(AdsAuthorizationOptions options) =>
        Volatile.Write(ref _current, options.IsEmpty ? null : new StreamAuthorizer(options));

    public AuthorizationDecision AuthorizeCall(Metadata requestHeaders) =>
        Volatile.Read(ref _current)?.AuthorizeCall(requestHeaders) ?? AuthorizationDecision.Allow;

    public AuthorizationDecision AuthorizeNode(Node? node) =>
        Volatile.Read(ref _current)?.AuthorizeNode(node) ?? AuthorizationDecision.Allow;
}
