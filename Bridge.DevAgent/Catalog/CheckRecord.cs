namespace Bridge.DevAgent.Catalog;

/// <summary>A health check as Consul stores and serialises it (<c>structs.HealthCheck</c>, CE build).</summary>
internal sealed record CheckRecord
{
    public required string Node { get; init; }

    [JsonPropertyName("CheckID")]
    public required string CheckId { get; init; }

    public required string Name { get; init; }

    public required string Status { get; init; }

    public string Notes { get; init; } = string.Empty;

    public string Output { get; init; } = string.Empty;

    [JsonPropertyName("ServiceID")]
    public string ServiceId { get; init; } = string.Empty;

    public string ServiceName { get; init; } = string.Empty;

    public IReadOnlyList<string> ServiceTags { get; init; } = [];

    public string Type { get; init; } = string.Empty;

    public string Interval { get; init; } = string.Empty;

    public string Timeout { get; init; } = string.Empty;

    public int ExposedPort { get; init; }

    // No probe runs here, so there is no probe definition to show.
    public EmptyObject Definition => EmptyObject.Instance;

    public ulong CreateIndex { get; init; }

    public ulong ModifyIndex { get; init; }

    /// <summary>TTL of an agent TTL check; not part of Consul's JSON.</summary>
    [JsonIgnore]
    public TimeSpan? Ttl { get; init; }

    [JsonIgnore]
    public bool IsNodeCheck => ServiceId.Length == 0;

    /// <summary>Same data, ignoring Raft indexes (Consul's <c>HealthCheck.IsSame</c>).</summary>
    public bool SameContentAs(CheckRecord other) =>
        Node == other.Node
        && CheckId == other.CheckId
        && Name == other.Name
        && Status == other.Status
        && Notes == other.Notes
        && Output == other.Output
        && ServiceId == other.ServiceId
        && ServiceName == other.ServiceName
        && ServiceTags.SequenceEqual(other.ServiceTags, StringComparer.Ordinal)
        && Type == other.Type
        && Interval == other.Interval
        && Timeout == other.Timeout
        && Ttl == other.Ttl;
}
