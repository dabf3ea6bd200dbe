using Bridge.Core.Xds;
using Google.Protobuf.WellKnownTypes;
using Envoy.Config.Core.V3;

namespace Bridge.Core.Ads;

/// <summary>Who is on the other end of a stream, as its first request's node told us.</summary>
public sealed record ClientIdentity(string NodeId, string Cluster, ClientKind Kind, string UserAgent, Node? Node)
{
    /// <summary>
    /// The services this node declared it calls (node metadata <see cref="AdsOptions.ServicesMetadataKey"/>, a
    /// comma-separated string or a list); null when it declared none or <c>*</c>, meaning every service.
    /// </summary>
    public ImmutableSortedSet<string>? Scope
    {
        get => _scope;
        init
        {
            ScopeKey = value is null ? "*" : string.Join(',', value);
            _scope = value is null ? null : Share(ScopeKey, value);
        }
    }

    private readonly ImmutableSortedSet<string>? _scope;

    /// <summary>
    /// The service this node belongs to (node metadata <see cref="AdsOptions.ServiceNameMetadataKey"/>): its upstream
    /// settings shape the clusters it is sent. Null when the node names none.
    /// </summary>
    public string? Caller { get; init; }

    /// <summary>A stable key of <see cref="Scope"/>, shared by nodes that declared the same services.</summary>
    public string ScopeKey { get; private init; } = "*";

    /// <summary>
    /// Nodes that declare the same services (the replicas of one service) share one set: thousands of proxies
    /// need not each hold their own copy of the list.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ImmutableSortedSet<string>> s_scopes = new(StringComparer.Ordinal);

    /// <summary>Names held by shared scopes at most: nodes inventing lists cannot grow the table past this.</summary>
    private const int MaxSharedScopeNames = 1_000_000;

    private static int s_sharedScopeNames;

    private static ImmutableSortedSet<string> Share(string key, ImmutableSortedSet<string> scope)
    {
        if (s_scopes.TryGetValue(key, out var shared))
        {
            return shared;
        }

        if (Interlocked.Add(ref s_sharedScopeNames, scope.Count) > MaxSharedScopeNames)
        {
            Interlocked.Add(ref s_sharedScopeNames, -scope.Count);
            return scope;
        }

        return s_scopes.GetOrAdd(key, scope);
    }

    /// <summary>Whether a service-named resource (cluster, assignment, gRPC listener or route) is for this node.</summary>
    public bool InScope(string service) => Scope is null || Scope.Contains(service);

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

        return new ClientIdentity(id, node?.Cluster ?? "", kind, userAgent, node)
        {
            Scope = ReadScope(node, options.ServicesMetadataKey),
            Caller = ReadCaller(node, options.ServiceNameMetadataKey),
        };
    }

    private static string? ReadCaller(Node? node, string key) =>
        node?.Metadata?.Fields.TryGetValue(key, out var value) == true && value.KindCase == Value.KindOneofCase.StringValue
            && value.StringValue.Trim() is { Length: > 0 } name
            ? name
            : null;

    private static ImmutableSortedSet<string>? ReadScope(Node? node, string key)
    {
        if (node?.Metadata?.Fields.TryGetValue(key, out var value) != true)
        {
            return null;
        }

        IEnumerable<string> names = value!.KindCase switch
        {
            Value.KindOneofCase.StringValue => value.StringValue.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Value.KindOneofCase.ListValue => value.ListValue.Values.Where(v => v.KindCase == Value.KindOneofCase.StringValue).Select(v => v.StringValue.Trim()),
            _ => [],
        };
        var scope = names.Where(n => n.Length > 0).ToImmutableSortedSet(StringComparer.Ordinal);
        return scope.Contains("*") ? null : scope;
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
