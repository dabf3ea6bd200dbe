using System.Collections.Immutable;

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
/// Instances of <paramref name="Service"/> that were served and that Consul's latest answer lists but in a form that
/// cannot be read: <paramref name="Held"/> of them keep their last known state. 0 means none are held any more.
/// </summary>
internal sealed record UnreadableHoldChanged(string Service, int Held) : ConsulEvent;
