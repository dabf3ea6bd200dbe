namespace Bridge.Core.Ads.Delta;

/// <summary>What one delta stream knows about one type URL.</summary>
internal sealed class DeltaTypeState
{
    /// <summary>Version recorded for a name the client was told does not exist.</summary>
    public const string Absent = "";

    /// <summary>Version recorded for a name the client must be told about again; matches no real version.</summary>
    public const string Stale = "\u0000stale";

    public DeltaTypeState(string typeUrl) => TypeUrl = typeUrl;

    public string TypeUrl { get; }

    /// <summary>Names explicitly subscribed, without <c>*</c>.</summary>
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

    public bool Wildcard { get; set; }

    /// <summary>Whether a request of this type has arrived on this stream.</summary>
    public bool Seen { get; set; }

    /// <summary>
    /// Name to the version the client holds: what we sent (recorded at send time, so a NACKed version is not sent
    /// again) or what it declared in <c>initial_resource_versions</c>; <see cref="Absent"/> once told it is gone.
    /// </summary>
    public Dictionary<string, string> Known { get; } = new(StringComparer.Ordinal);

    public string? Nonce { get; set; }

    /// <summary>The subscription changed since the last evaluation: compare everything, not only what changed.</summary>
    public bool Dirty { get; set; }

    /// <summary>Whether any response of this type has been sent on this stream.</summary>
    public bool Answered { get; set; }

    /// <summary>The snapshot generation this state was last evaluated against; -1 before the first.</summary>
    public long ServedGeneration { get; set; } = -1;
    public string? LastAckedNonce { get; set; }
    public string? NackedNonce { get; set; }
    public string? NackError { get; set; }

    /// <summary>When the Consul change behind our latest response arrived, for the ACK latency.</summary>
    public long PendingChangedAt { get; set; }
}
