using System.Diagnostics.CodeAnalysis;

namespace Bridge.Core.Catalog.Chains;

/// <summary>
/// How calls to one service are routed, split and resolved, compiled from Consul's config entries
/// (<see cref="ChainCompiler"/>). Equal entries compile to equal chains, so comparing two chains tells whether
/// anything a proxy is sent would change.
/// </summary>
/// <param name="ServiceName">The service callers ask for.</param>
/// <param name="Datacenter">The datacenter the chain was compiled in: targets without another one are here.</param>
/// <param name="Protocol">The one protocol every service of the chain speaks: <c>tcp</c>, <c>http</c>, <c>http2</c>, <c>grpc</c>, or what a service-defaults says.</param>
/// <param name="IsDefault">
/// No router, no splitter, and a resolver (if any) that changes nothing: the service is served exactly as it is
/// without config entries.
/// </param>
/// <param name="Routes">Tried in order; the last is the catch-all. A chain without a router has only that one.</param>
/// <param name="Targets">Every target the chain reaches, failover targets included, ordered by <see cref="TargetId"/>.</param>
internal sealed record DiscoveryChain(
    string ServiceName,
    string Datacenter,
    string Protocol,
    bool IsDefault,
    EquatableArray<RouteRule> Routes,
    EquatableArray<Target> Targets)
{
    /// <summary>Whether routes and splits may be used: <c>http</c>, <c>http2</c> or <c>grpc</c>.</summary>
    public bool IsHttp => ChainCompiler.IsHttpProtocol(Protocol);

    /// <summary>The services the chain reaches (failover included), in ordinal order: what a node calling this one needs.</summary>
    public IEnumerable<string> Services => Targets.Select(t => t.Id.Service).Distinct(StringComparer.Ordinal);

    public Target Target(TargetId id) =>
        Targets.FirstOrDefault(t => t.Id == id) ?? throw new KeyNotFoundException($"chain {ServiceName} has no target {id}");
}

/// <summary>Why a chain could not be compiled, naming the config entry at fault.</summary>
/// <param name="Service">The chain.</param>
/// <param name="Kind">The entry's kind, as Consul spells it (<c>service-router</c>).</param>
/// <param name="Name">The entry's name.</param>
internal sealed record ChainError(string Service, string Kind, string Name, string Reason)
{
    public override string ToString() => $"chain {Service}: {Kind} \"{Name}\": {Reason}";
}

/// <summary>A compiled chain, or why there is none.</summary>
internal sealed record ChainResult
{
    private ChainResult(DiscoveryChain? chain, ChainError? error) => (Chain, Error) = (chain, error);

    public DiscoveryChain? Chain { get; }

    public ChainError? Error { get; }

    [MemberNotNullWhen(true, nameof(Chain))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Chain is not null;

    public static ChainResult Of(DiscoveryChain chain) => new(chain, null);

    public static ChainResult Failed(ChainError error) => new(null, error);
}
