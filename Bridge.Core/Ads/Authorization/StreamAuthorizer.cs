using System.Security.Cryptography;
using Node = Envoy.Config.Core.V3.Node;
using Grpc.Core;

namespace Bridge.Core.Ads.Authorization;

/// <summary>The rules of <see cref="AdsAuthorizationOptions"/>: a token, then node id and cluster patterns.</summary>
internal sealed class StreamAuthorizer : IStreamAuthorizer
{
    internal const string TokenHeader = "x-bridge-token";

    // Only hashes are kept: equal-length comparisons that take the same time whatever the presented token is.
    private readonly byte[][] _tokenHashes;
    private readonly IReadOnlyList<string> _nodeIds;
    private readonly IReadOnlyList<string> _clusters;

    public StreamAuthorizer(AdsAuthorizationOptions options)
    {
        _tokenHashes = [.. options.Tokens.Select(Hash)];
        _nodeIds = options.AllowedNodeIds;
        _clusters = options.AllowedClusters;
    }

    public bool InspectsNode => _nodeIds.Count > 0 || _clusters.Count > 0;

    public AuthorizationDecision AuthorizeCall(Metadata requestHeaders)
    {
        if (_tokenHashes.Length == 0)
        {
            return AuthorizationDecision.Allow;
        }

        var presented = false;
        foreach (var entry in requestHeaders)
        {
            var token = Presented(entry);
            if (token is null)
            {
                continue;
            }

            presented = true;
            var hash = Hash(token);
            var accepted = false;
            foreach (var known in _tokenHashes)
            {
                // No early exit: the time taken does not tell which token came close.
                accepted |= CryptographicOperations.FixedTimeEquals(hash, known);
            }

            if (accepted)
            {
                return AuthorizationDecision.Allow;
            }
        }

        return AuthorizationDecision.Deny(presented
            ? "the token presented is not accepted"
            : $"no token presented (call metadata authorization: Bearer <token>, or {TokenHeader})");
    }

    public AuthorizationDecision AuthorizeNode(Node? node)
    {
        if (node is null)
        {
            return InspectsNode ? AuthorizationDecision.Deny("the first request names no node") : AuthorizationDecision.Allow;
        }

        if (_nodeIds.Count > 0 && !Matches(_nodeIds, node.Id))
        {
            return AuthorizationDecision.Deny($"node id '{node.Id}' is not allowed (Ads:Authorization:AllowedNodeIds)");
        }

        if (_clusters.Count > 0 && !Matches(_clusters, node.Cluster))
        {
            return AuthorizationDecision.Deny($"node cluster '{node.Cluster}' is not allowed (Ads:Authorization:AllowedClusters)");
        }

        return AuthorizationDecision.Allow;
    }

    /// <summary>A pattern is an exact name, or a prefix followed by <c>*</c>.</summary>
    internal static bool Matches(IReadOnlyList<string> patterns, string value)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.EndsWith('*') ? value.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal) : value == pattern)
            {
                return true;
            }
        }

        return false;
    }

    private static string? Presented(Metadata.Entry entry)
    {
        if (entry.IsBinary)
        {
            return null;
        }

        if (entry.Key == TokenHeader)
        {
            return entry.Value.Trim();
        }

        const string bearer = "Bearer ";
        return entry.Key == "authorization" && entry.Value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            ? entry.Value[bearer.Length..].Trim()
            : null;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
