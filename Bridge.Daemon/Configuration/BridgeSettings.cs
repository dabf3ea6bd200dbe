using Bridge.Core.Ads;
using Bridge.Core.Ads.Authorization;
using Bridge.Core.Consul;
using Bridge.Core.Catalog;
using Bridge.Core.Xds;
using Bridge.Daemon.Admin;
using Bridge.Daemon.Security;

namespace Bridge.Daemon.Configuration;

/// <summary>Every setting of the daemon, bound and validated as one immutable snapshot.</summary>
internal sealed record BridgeSettings(ConsulOptions Consul, CatalogOptions Catalog, XdsOptions Xds, AdsOptions Ads, AdminOptions Admin, StateOptions State)
{
    /// <summary>TLS and mutual TLS of the ADS listener (keys of the <c>Ads</c> section).</summary>
    public AdsTlsOptions AdsTls { get; init; } = new();

    /// <summary>Which proxies ADS serves, with the tokens of its token file already read.</summary>
    public AdsAuthorizationOptions AdsAuthorization { get; init; } = new();

    /// <summary>
    /// Where each Consul setting that did not come from the bridge's own configuration came from (property name to
    /// environment variable, e.g. <c>CaFile</c> to <c>CONSUL_CACERT</c>), so messages name what the operator set.
    /// </summary>
    public IReadOnlyDictionary<string, string> ConsulSources { get; init; } = new Dictionary<string, string>();
}

/// <summary>A setting that cannot be used, naming its key and what would be accepted.</summary>
internal sealed record SettingError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}

/// <summary>Where the last good catalog is kept across restarts. Bound from the <c>State</c> section.</summary>
public sealed record StateOptions
{
    public const string SectionName = "State";

    /// <summary>
    /// The state file; empty means <c>$STATE_DIRECTORY/catalog.json</c> under systemd's StateDirectory=, and no
    /// state file at all when that is not set either.
    /// </summary>
    public string Path { get; init; } = "";

    /// <summary>Writes happen at most this often; the newest catalog wins.</summary>
    public TimeSpan WriteInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A state file saved longer ago than this is not served at start: its endpoints are too old to trust.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    internal string? ResolvedPath =>
        !string.IsNullOrWhiteSpace(Path) ? Path
        : Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } dir ? System.IO.Path.Combine(dir.Split(':')[0], "catalog.json")
        : null;
}
