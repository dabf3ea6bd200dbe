using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// A check attached to an agent service registration (Consul's <c>CheckType</c>). The dev agent runs
/// no probes: script, HTTP, TCP, UDP, gRPC and H2PING checks keep the status they were registered
/// with until changed through the API, while TTL checks expire to critical as in Consul.
/// </summary>
public sealed record AgentCheckRegistration
{
    /// <summary>Check ID; defaults to <c>service:&lt;id&gt;</c>, or <c>service:&lt;id&gt;:&lt;n&gt;</c> when the service has several checks.</summary>
    [JsonPropertyName("CheckID")]
    public string? CheckId { get; init; }

    /// <summary>Check name; defaults to <c>Service '&lt;name&gt;' check</c>.</summary>
    public string? Name { get; init; }

    /// <summary>Human-readable notes.</summary>
    public string? Notes { get; init; }

    /// <summary>Initial status (<c>passing</c>, <c>warning</c>, <c>critical</c>); Consul starts checks critical.</summary>
    public string? Status { get; init; }

    /// <summary>Time-to-live of a TTL check, as a Go duration ("15s").</summary>
    [JsonPropertyName("TTL")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Ttl { get; init; }

    /// <summary>HTTP check URL (recorded, never probed).</summary>
    [JsonPropertyName("HTTP")]
    public string? Http { get; init; }

    /// <summary>TCP check address (recorded, never probed).</summary>
    [JsonPropertyName("TCP")]
    public string? Tcp { get; init; }

    /// <summary>UDP check address (recorded, never probed).</summary>
    [JsonPropertyName("UDP")]
    public string? Udp { get; init; }

    /// <summary>gRPC check address (recorded, never probed).</summary>
    [JsonPropertyName("GRPC")]
    public string? Grpc { get; init; }

    /// <summary>H2PING check address (recorded, never probed).</summary>
    [JsonPropertyName("H2PING")]
    public string? H2Ping { get; init; }

    /// <summary>Script check arguments (recorded, never run).</summary>
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>Docker container of a script check (recorded, never run).</summary>
    [JsonPropertyName("DockerContainerID")]
    public string? DockerContainerId { get; init; }

    /// <summary>Node of an alias check.</summary>
    public string? AliasNode { get; init; }

    /// <summary>Service of an alias check.</summary>
    public string? AliasService { get; init; }

    /// <summary>Probe interval of an interval-based check.</summary>
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Interval { get; init; }

    /// <summary>Probe timeout.</summary>
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Timeout { get; init; }
}
