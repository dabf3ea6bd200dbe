using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Core.Consul;

/// <summary>What the watcher learned from Consul, in the order it learned it.</summary>
internal abstract record ConsulEvent
{
    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the Consul answer, for propagation latency.</summary>
    public long ReceivedAt { get; init; }
}

/// <summary>The set of watched services (after include/exclude filters) changed.</summary>
internal sealed record ServiceSetObserved(ImmutableSortedSet<string> Services, ulong Index) : ConsulEvent;

/// <summary>A service's instance list as Consul reported it; an empty list means Consul says it has none.</summary>
internal sealed record ServiceEntriesObserved(string Service, ulong Index, IReadOnlyList<HealthServiceEntry> Entries) : ConsulEvent
{
    /// <summary>Entries Consul listed that could not be read, left out of <see cref="Entries"/>.</summary>
    public IReadOnlyList<SkippedInstance> Skipped { get; init; } = [];
}

/// <summary>
/// An ACL-filtered answer left out services (<paramref name="Service"/> null: the service list) or instances
/// (of <paramref name="Service"/>) that were being served: they are kept, <paramref name="Held"/> of them, until an
/// answer that is not filtered says otherwise. <paramref name="Held"/> 0 means the hold ended.
/// </summary>
internal sealed record AclHoldChanged(string? Service, int Held) : ConsulEvent;

/// <summary>Consul became unreachable or erroring, or answered again after failing.</summary>
internal sealed record ConsulAvailabilityChanged(bool Available, string? Error) : ConsulEvent;

/// <summary>
/// Whether Consul answers the service list: false when Consul itself is out of reach (down, partitioned, refusing),
/// as opposed to one service's reads failing.
/// </summary>
internal sealed record ConsulReachabilityChanged(bool Reachable) : ConsulEvent;

/// <summary>
/// Instances of <paramref name="Service"/> that were served and that Consul's latest answer lists but in a form that
/// cannot be read: <paramref name="Held"/> of them keep their last known state. 0 means none are held any more.
/// </summary>
internal sealed record UnreadableHoldChanged(string Service, int Held) : ConsulEvent;

/// <summary>The config entries of one kind as Consul lists them (entries it could not read left out and described).</summary>
internal sealed record ConfigEntriesObserved(ConfigEntryList List, ulong Index) : ConsulEvent;

/// <summary>The datacenter Consul's agent belongs to: where targets that name none are.</summary>
internal sealed record LocalDatacenterObserved(string Datacenter) : ConsulEvent;

/// <summary>
/// A routing read (a config entry kind, or a target's <see cref="HealthQuery"/>) started failing with
/// <paramref name="Error"/>, or answers again (null). Routing keeps what it last read meanwhile.
/// </summary>
internal sealed record RoutingReadChanged(object Read, string? Error) : ConsulEvent;

/// <summary>What one health query beyond a service's own (a subset's filter, another datacenter) answered.</summary>
internal sealed record TargetEntriesObserved(HealthQuery Query, ulong Index, IReadOnlyList<HealthServiceEntry> Entries) : ConsulEvent
{
    public IReadOnlyList<SkippedInstance> Skipped { get; init; } = [];
}

/// <summary>
/// One read of <c>/v1/health/service/&lt;Service&gt;</c>: in <paramref name="Datacenter"/> (empty: the agent's own), narrowed
/// by Consul's <c>?filter=</c> expression <paramref name="Filter"/> (empty: every instance).
/// </summary>
internal sealed record HealthQuery(string Service, string Datacenter, string Filter) : IComparable<HealthQuery>
{
    public int CompareTo(HealthQuery? other) =>
        other is null ? 1
        : string.CompareOrdinal(Service, other.Service) is var s and not 0 ? s
        : string.CompareOrdinal(Datacenter, other.Datacenter) is var d and not 0 ? d
        : string.CompareOrdinal(Filter, other.Filter);

    public override string ToString() =>
        Service + (Datacenter.Length > 0 ? $"?dc={Datacenter}" : "") + (Filter.Length > 0 ? $" [{Filter}]" : "");
}
