namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>A <c>service-splitter</c> entry: shares of the service's traffic, by weight (percent, summing to 100).</summary>
internal sealed record ServiceSplitterEntry : ConfigEntry
{
    public IReadOnlyList<ServiceSplit>? Splits { get; init; }

    [JsonIgnore]
    public override ConfigEntryKind EntryKind => ConfigEntryKind.ServiceSplitter;
}

internal sealed record ServiceSplit
{
    /// <summary>Percent of the traffic, in steps of 0.01 (a Go <c>float32</c> in Consul; read exactly here).</summary>
    public decimal Weight { get; init; }

    /// <summary>Empty means the splitter's own service.</summary>
    public string? Service { get; init; }

    public string? ServiceSubset { get; init; }
    public string? Namespace { get; init; }
    public string? Partition { get; init; }
    public HttpHeaderModifiers? RequestHeaders { get; init; }
    public HttpHeaderModifiers? ResponseHeaders { get; init; }
}
