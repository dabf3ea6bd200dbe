namespace Bridge.Core.Catalog.Chains;

/// <summary>
/// Instances of one service, narrowed to one of its resolver's subsets (empty: all of them), in one datacenter:
/// what a chain finally sends traffic to, and what a watch reads (<c>/v1/health/service/&lt;Service&gt;?dc=&lt;Datacenter&gt;</c>
/// filtered by the subset's filter).
/// </summary>
internal readonly record struct TargetId(string Service, string Subset, string Datacenter) : IComparable<TargetId>
{
    public int CompareTo(TargetId other)
    {
        var byService = string.CompareOrdinal(Service, other.Service);
        if (byService != 0)
        {
            return byService;
        }

        var bySubset = string.CompareOrdinal(Subset, other.Subset);
        return bySubset != 0 ? bySubset : string.CompareOrdinal(Datacenter, other.Datacenter);
    }

    /// <summary>Consul's way of writing a target, without namespace and partition: <c>v2.api.dc1</c>, or <c>api.dc1</c> with no subset.</summary>
    public override string ToString() => Subset.Length == 0 ? $"{Service}.{Datacenter}" : $"{Subset}.{Service}.{Datacenter}";
}

/// <summary>A target with what its service's resolver says about it.</summary>
/// <param name="Subset">The subset's selection; null when the target is the whole service.</param>
/// <param name="ConnectTimeout">The resolver's, or 5 s.</param>
/// <param name="RequestTimeout">The resolver's; null when it sets none.</param>
/// <param name="LoadBalancer">The resolver's; null when it sets none.</param>
/// <param name="Failover">
/// Where to send traffic when this target has no healthy instance, in order. Only a target a route or split leads to
/// has failover; the targets listed here have none of their own (failover is not followed further).
/// </param>
internal sealed record Target(
    TargetId Id,
    SubsetSelection? Subset,
    TimeSpan ConnectTimeout,
    TimeSpan? RequestTimeout,
    LoadBalancer? LoadBalancer,
    EquatableArray<TargetId> Failover);

/// <param name="Filter">A Consul filter expression Consul evaluates itself (<c>?filter=</c>); empty selects every instance.</param>
/// <param name="OnlyPassing">Instances with a warning count as unhealthy.</param>
internal sealed record SubsetSelection(string Filter, bool OnlyPassing);

internal enum LoadBalancerPolicy
{
    RoundRobin,
    LeastRequest,
    Random,
    RingHash,
    Maglev,
}

/// <param name="MinimumRingSize">ring_hash only; null when unset.</param>
/// <param name="MaximumRingSize">ring_hash only; null when unset.</param>
/// <param name="ChoiceCount">least_request only; null when unset.</param>
/// <param name="HashPolicies">ring_hash and maglev only, in order.</param>
internal sealed record LoadBalancer(
    LoadBalancerPolicy Policy,
    ulong? MinimumRingSize,
    ulong? MaximumRingSize,
    uint? ChoiceCount,
    EquatableArray<HashPolicy> HashPolicies)
{
    public bool IsHashBased => Policy is LoadBalancerPolicy.RingHash or LoadBalancerPolicy.Maglev;
}

internal enum HashPolicyKind
{
    Header,
    Cookie,
    QueryParameter,
    SourceIp,
}

/// <param name="Name">The header, cookie or query parameter hashed; empty for the source IP.</param>
/// <param name="Terminal">A hash computed by this policy ends the evaluation of the ones after it.</param>
/// <param name="Cookie">How a cookie is generated when the request has none; cookie only.</param>
internal sealed record HashPolicy(HashPolicyKind Kind, string Name, bool Terminal, HashCookie? Cookie);

/// <param name="Ttl">Null for a session cookie or when unset.</param>
internal sealed record HashCookie(bool Session, TimeSpan? Ttl, string Path);
