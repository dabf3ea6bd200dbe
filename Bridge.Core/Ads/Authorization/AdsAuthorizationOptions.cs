using Bridge.Core.Configuration;

namespace Bridge.Core.Ads.Authorization;

/// <summary>
/// Which proxies may open an ADS stream. Bound from the <c>Ads:Authorization</c> section. Every rule that is set
/// must pass; with none set, every proxy that reaches the listener is served, which suits a loopback listener or
/// a trusted network only. Its lists are <see cref="EquatableList{T}"/>s, so two snapshots compare by content.
/// </summary>
public sealed record AdsAuthorizationOptions
{
    public const string SectionName = "Ads:Authorization";

    /// <summary>Node ids allowed, exact or with a trailing <c>*</c>; empty allows any. A proxy's claim, not a proof.</summary>
    public IReadOnlyList<string> AllowedNodeIds { get; init => field = EquatableList<string>.From(value); } = EquatableList<string>.Empty;

    /// <summary>Node clusters allowed, exact or with a trailing <c>*</c>; empty allows any. A proxy's claim, not a proof.</summary>
    public IReadOnlyList<string> AllowedClusters { get; init => field = EquatableList<string>.From(value); } = EquatableList<string>.Empty;

    /// <summary>
    /// Tokens a proxy may present in its call metadata (<c>authorization: Bearer &lt;token&gt;</c> or
    /// <c>x-bridge-token</c>); empty requires none. Never logged. Once loaded, also holds those of <see cref="TokenFile"/>.
    /// </summary>
    public IReadOnlyList<string> Tokens { get; init => field = EquatableList<string>.From(value); } = EquatableList<string>.Empty;

    /// <summary>A file of tokens, one a line (blank lines and <c>#</c> comments skipped), read at every start and reload.</summary>
    public string? TokenFile { get; init; }

    /// <summary>No rule set: every stream is served.</summary>
    public bool IsEmpty => AllowedNodeIds.Count == 0 && AllowedClusters.Count == 0 && Tokens.Count == 0;

    // Records print every property; tokens must never reach a log line.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("AllowedNodeIds = [").AppendJoin(", ", AllowedNodeIds)
            .Append("], AllowedClusters = [").AppendJoin(", ", AllowedClusters)
            .Append("], Tokens = ").Append(Tokens.Count).Append(" (hidden)")
            .Append(", TokenFile = ").Append(TokenFile);
        return true;
    }
}
