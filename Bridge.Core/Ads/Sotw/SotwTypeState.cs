namespace Bridge.Core.Ads.Sotw;

/// <summary>What one state-of-the-world stream knows about one type URL.</summary>
internal sealed class SotwTypeState
{
    public SotwTypeState(string typeUrl) => TypeUrl = typeUrl;

    public string TypeUrl { get; }

    /// <summary>Names the client listed, without <c>*</c>.</summary>
    public HashSet<string> Names { get; set; } = new(StringComparer.Ordinal);

    public bool Wildcard { get; set; }

    /// <summary>The names of the last request applied, in its order, to recognise an ACK that restates them.</summary>
    public string[]? Listed { get; set; }

    /// <summary>Whether the client has ever listed a name; until then an empty list means wildcard (legacy rule).</summary>
    public bool SawNames { get; set; }

    /// <summary>The nonce of our latest response of this type; only a request echoing it is current.</summary>
    public string? Nonce { get; set; }

    /// <summary>Name to version of everything sent; recorded at send time so a NACKed version is not sent again.</summary>
    public Dictionary<string, string> Sent { get; } = new(StringComparer.Ordinal);

    public string? SentVersion { get; set; }
    public string? AckedVersion { get; set; }
    public string? RejectedVersion { get; set; }
    public string? RejectError { get; set; }

    /// <summary>The subscription changed or this is the first request: an answer is owed even if nothing changed.</summary>
    public bool Owed { get; set; }

    /// <summary>The snapshot generation this state was last evaluated against; -1 before the first.</summary>
    public long ServedGeneration { get; set; } = -1;

    /// <summary>When the Consul change behind our latest response arrived (0 if it answered a subscription), for the ACK latency.</summary>
    public long PendingChangedAt { get; set; }
}
