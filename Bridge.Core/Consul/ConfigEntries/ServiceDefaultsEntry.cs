namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>A <c>service-defaults</c> entry: the service's protocol, and how it calls its upstreams.</summary>
internal sealed record ServiceDefaultsEntry : ConfigEntry
{
    /// <summary><c>tcp</c>, <c>http</c>, <c>http2</c> or <c>grpc</c>; empty means the default (Consul's: <c>tcp</c>).</summary>
    public string? Protocol { get; init; }

    /// <summary>Settings for the services this one calls; they belong to the calling service, not to a chain.</summary>
    public UpstreamConfiguration? UpstreamConfig { get; init; }

    [JsonIgnore]
    public override ConfigEntryKind EntryKind => ConfigEntryKind.ServiceDefaults;
}

internal sealed record UpstreamConfiguration
{
    public UpstreamSettings? Defaults { get; init; }

    /// <summary>Per upstream, by its <see cref="UpstreamSettings.Name"/>.</summary>
    public IReadOnlyList<UpstreamSettings>? Overrides { get; init; }
}

internal sealed record UpstreamSettings
{
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public string? Partition { get; init; }
    public string? Peer { get; init; }
    public string? Protocol { get; init; }

    /// <summary>A Go <c>int</c> of milliseconds; 0 means unset.</summary>
    public long ConnectTimeoutMs { get; init; }

    public UpstreamLimits? Limits { get; init; }
    public PassiveHealthCheck? PassiveHealthCheck { get; init; }
}

/// <summary>Circuit breaking; each is a Go <c>*int</c>, so absent differs from 0.</summary>
internal sealed record UpstreamLimits
{
    public long? MaxConnections { get; init; }
    public long? MaxPendingRequests { get; init; }
    public long? MaxConcurrentRequests { get; init; }
}

/// <summary>Outlier detection for an upstream.</summary>
internal sealed record PassiveHealthCheck
{
    [JsonConverter(typeof(ConsulDurationJsonConverter))]
    public TimeSpan Interval { get; init; }

    public uint MaxFailures { get; init; }
    public uint? EnforcingConsecutive5xx { get; init; }
    public uint? MaxEjectionPercent { get; init; }

    [JsonConverter(typeof(ConsulDurationJsonConverter))]
    public TimeSpan? BaseEjectionTime { get; init; }
}
