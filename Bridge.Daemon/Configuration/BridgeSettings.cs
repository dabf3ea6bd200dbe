using Bridge.Core.Ads;
using Bridge.Core.Ads.Authorization;
using Bridge.Core.Catalog;
using Bridge.Core.Configuration;
using Bridge.Core.Consul;
using Bridge.Core.Xds;
using Bridge.Daemon.Admin;
using Bridge.Daemon.Security;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// Every setting of the daemon, bound and validated as one immutable snapshot. Snapshots compare by value, lists
/// and maps by content, so a reload that changed nothing is equal to the settings in force.
/// </summary>
internal sealed record BridgeSettings(ConsulOptions Consul, CatalogOptions Catalog, XdsOptions Xds, AdsOptions Ads, AdminOptions Admin, StateOptions State)
{
    /// <summary>TLS and mutual TLS of the ADS listener (keys of the <c>Ads</c> section).</summary>
    public AdsTlsOptions AdsTls { get; init; } = new();

    /// <summary>Which proxies ADS serves, with the tokens of its token file already read.</summary>
    public AdsAuthorizationOptions AdsAuthorization { get; init; } = new();

    /// <summary>
    /// Where each Consul setting that did not come from its own key came from (property name to environment variable
    /// or key, e.g. <c>CaFile</c> to <c>CONSUL_CACERT</c>, <c>Token</c> to <c>Consul:TokenFile</c>), so messages name
    /// what the operator set.
    /// </summary>
    public IReadOnlyDictionary<string, string> ConsulSources { get; init => field = EquatableDictionary<string, string>.From(value); }
        = EquatableDictionary<string, string>.Empty;
}

/// <summary>A setting that cannot be used, naming its key and what would be accepted.</summary>
internal sealed record SettingError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";

    /// <summary>A validator's failure, written <c>key: message</c> (see <see cref="SettingFailures"/>).</summary>
    public static SettingError FromFailure(string failure) =>
        failure.IndexOf(": ", StringComparison.Ordinal) is > 0 and var colon
            ? new SettingError(failure[..colon], failure[(colon + 2)..])
            : new SettingError("(settings)", failure);
}
