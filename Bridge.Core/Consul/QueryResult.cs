namespace Bridge.Core.Consul;

/// <summary>Parameters of one catalog or health read.</summary>
/// <param name="Index">The index to block on; 0 asks for an immediate answer.</param>
internal readonly record struct QueryOptions(ulong Index, TimeSpan Wait)
{
    /// <summary>The datacenter to ask, when not the configured one (a remote target).</summary>
    public string? Datacenter { get; init; }

    /// <summary>Consul's <c>?filter=</c> expression; null for none.</summary>
    public string? Filter { get; init; }
}

/// <summary>A decoded Consul answer with the metadata its headers carried.</summary>
/// <param name="Index"><c>X-Consul-Index</c>, clamped to at least 1.</param>
/// <param name="ContentHash">Hash of the raw body (and of whether ACLs filtered it), so an unchanged answer under a new index is recognised cheaply.</param>
internal sealed record QueryResult<T>(T Value, ulong Index, bool KnownLeader, TimeSpan LastContact, bool FilteredByAcls, UInt128 ContentHash)
{
    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of when the answer's headers arrived.</summary>
    public long ReceivedAt { get; init; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Whether the answer carried <c>X-Consul-Index</c>; without it a blocking query cannot block.</summary>
    public bool HasIndex { get; init; } = true;

    /// <summary>Entries of the answer that could not be read, each left out of <see cref="Value"/>.</summary>
    public IReadOnlyList<SkippedInstance> Skipped { get; init; } = [];
}
