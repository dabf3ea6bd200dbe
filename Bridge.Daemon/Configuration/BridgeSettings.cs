using Bridge.Core.Ads;
using Bridge.Core.Consul;
using Bridge.Core.Xds;

namespace Bridge.Daemon.Configuration;

/// <summary>Every setting of the daemon, bound and validated as one immutable snapshot.</summary>
internal sealed record BridgeSettings(ConsulOptions Consul, XdsOptions Xds, AdsOptions Ads);

/// <summary>A setting that cannot be used, naming its key and what would be accepted.</summary>
internal sealed record SettingError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}
