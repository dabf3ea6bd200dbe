namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// <c>service-splitter</c> (<c>structs.ServiceSplitterConfigEntry</c>): shares of a service's HTTP traffic sent to
/// subsets or other services. Weights are percentages in steps of 0.01 and must add up to 100.
/// </summary>
public sealed record ServiceSplitterEntry : ConfigEntry
{
    /// <inheritdoc/>
    [JsonPropertyOrder(-100)]
    public override string Kind => ConfigEntryKinds.ServiceSplitter;

    /// <summary>The splits; Go writes <c>null</c> for none (which Consul refuses).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyList<ServiceSplit>? Splits { get; init; }
}

/// <summary><c>ServiceSplit</c>.</summary>
public sealed record ServiceSplit
{
    /// <summary>Share of the traffic, 0-100, rounded to 0.01.</summary>
    public float Weight { get; init; }

    /// <summary>Service (the splitter's own when empty).</summary>
    public string? Service { get; init; }

    /// <summary>Subset.</summary>
    public string? ServiceSubset { get; init; }

    /// <summary>Namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>Partition.</summary>
    public string? Partition { get; init; }

    /// <summary>Request header changes.</summary>
    public HttpHeaderModifiers? RequestHeaders { get; init; }

    /// <summary>Response header changes.</summary>
    public HttpHeaderModifiers? ResponseHeaders { get; init; }
}

/// <summary><c>HTTPHeaderModifiers</c>.</summary>
public sealed record HttpHeaderModifiers
{
    /// <summary>Headers appended.</summary>
    public IReadOnlyDictionary<string, string>? Add { get; init; }

    /// <summary>Headers replaced.</summary>
    public IReadOnlyDictionary<string, string>? Set { get; init; }

    /// <summary>Headers removed.</summary>
    public IReadOnlyList<string>? Remove { get; init; }
}
