using Bridge.Core.Ads;
using Bridge.Core.Consul;
using Bridge.Core.Catalog;
using Bridge.Core.Xds;
using Bridge.Daemon.Admin;

namespace Bridge.Daemon.Configuration;

/// <summary>Every setting of the daemon, bound and validated as one immutable snapshot.</summary>
internal sealed record BridgeSettings(ConsulOptions Consul, CatalogOptions Catalog, XdsOptions Xds, AdsOptions Ads, AdminOptions Admin, StateOptions State);

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

    internal string? ResolvedPath =>
        !string.IsNullOrWhiteSpace(Path) ? Path
        : Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } dir ? System.IO.Path.Combine(dir.Split(':')[0], "catalog.json")
        : null;
}
