using static Bridge.Daemon.Configuration.ReloadEffect;

namespace Bridge.Daemon.Configuration;

/// <summary>When a reload's new value of a setting takes effect.</summary>
internal enum ReloadEffect
{
    /// <summary>At once, everywhere: proxies receive what the new value changes.</summary>
    Live,

    /// <summary>For every ADS stream opened after the reload; streams already open keep running as they started.</summary>
    NewStreams,

    /// <summary>At the next start: a reload that changes it logs event 5103 naming it.</summary>
    Restart,
}

/// <summary>
/// For every setting, when a reload applies it. README's "What can change without a restart" says the same, and a
/// test holds both to the keys of the shipped appsettings.json. A setting missing here needs a restart.
/// </summary>
internal static class SettingReloads
{
    /// <summary>Log levels, one key per category under <c>Logging:LogLevel</c>; the host's logging follows the configuration.</summary>
    public const string LogLevels = "Logging:LogLevel:<category>";

    public static IReadOnlyDictionary<string, ReloadEffect> ByKey { get; } = new Dictionary<string, ReloadEffect>(StringComparer.Ordinal)
    {
        [LogLevels] = Live,

        // The HTTP client, its credentials and TLS, and the watch loops' pacing are built once, at start.
        ["Consul:Address"] = Restart,
        ["Consul:Datacenter"] = Restart,
        ["Consul:Token"] = Restart,
        ["Consul:TokenFile"] = Restart,
        ["Consul:CaFile"] = Restart,
        ["Consul:CaPath"] = Restart,
        ["Consul:CertFile"] = Restart,
        ["Consul:KeyFile"] = Restart,
        ["Consul:TlsServerName"] = Restart,
        ["Consul:InsecureSkipVerify"] = Restart,
        ["Consul:Wait"] = Restart,
        ["Consul:Consistency"] = Restart,
        ["Consul:MaxStale"] = Restart,
        ["Consul:QueryBurst"] = Restart,
        ["Consul:MinQueryInterval"] = Restart,
        ["Consul:RetryBaseDelay"] = Restart,
        ["Consul:RetryMaxDelay"] = Restart,
        ["Consul:AclRetryWait"] = Restart,
        ["Consul:IndexlessPollInterval"] = Restart,
        ["Consul:MaxResponseBytes"] = Restart,
        ["Consul:MaxConcurrentQueries"] = Restart,
        ["Consul:SourceAddresses"] = Restart,
        ["Consul:MaxConcurrentQueriesHttp2"] = Restart,

        // The last service list is filtered again: watches start and stop, the catalog follows.
        ["Consul:IncludeServices"] = Live,
        ["Consul:ExcludeServices"] = Live,
        ["Consul:IncludeTags"] = Live,
        ["Consul:ExcludeTags"] = Live,

        // The store reads its options at every batch.
        ["Catalog:QuietPeriod"] = Live,
        ["Catalog:MaxDelay"] = Live,
        ["Catalog:RemovalGuard"] = Live,
        ["Catalog:RemovalGuardShare"] = Live,
        ["Catalog:RemovalGuardMinServices"] = Live,
        ["Catalog:RemovalGuardMinInstances"] = Live,
        ["Catalog:RemovalGuardConfirmAfter"] = Live,

        // Read once, when Consul's first service list arrives: it only ever governs the start.
        ["Catalog:SyncTimeout"] = Restart,

        // The persister is built once, at start.
        ["State:Path"] = Restart,
        ["State:WriteInterval"] = Restart,
        ["State:MaxAge"] = Restart,

        // Every resource is translated again from the catalog; only those whose bytes changed are sent.
        ["Xds:Warning"] = Live,
        ["Xds:Unhealthy"] = Live,
        ["Xds:ZoneNodeMetaKey"] = Live,
        ["Xds:ConnectTimeout"] = Live,
        ["Xds:EnvoyListenerAddress"] = Live,
        ["Xds:EnvoyListenerPort"] = Live,
        ["Xds:EnvoyListenerName"] = Live,
        ["Xds:GrpcRingHash"] = Live,

        // Listeners are bound once; the certificate files' contents are re-read as they rotate, their paths are not.
        ["Ads:Listen"] = Restart,
        ["Ads:TlsCertFile"] = Restart,
        ["Ads:TlsKeyFile"] = Restart,
        ["Ads:ClientCaFile"] = Restart,
        ["Admin:Listen"] = Restart,

        // Each stream reads the ADS settings in force when it opens; streams already open keep theirs.
        ["Ads:ClientKindMetadataKey"] = NewStreams,
        ["Ads:ServicesMetadataKey"] = NewStreams,
        ["Ads:ServiceNameMetadataKey"] = NewStreams,
        ["Ads:ClientKindOverrides"] = NewStreams,
        ["Ads:MaxResourceNamesPerRequest"] = NewStreams,
        ["Ads:RequestQueueLength"] = NewStreams,
        ["Ads:InitialSyncTimeout"] = NewStreams,
        ["Ads:MaxStreams"] = NewStreams,
        ["Ads:MaxStreamsPerPeer"] = NewStreams,
        ["Ads:MaxStreamAge"] = NewStreams,

        // A stream is authorized when it opens; streams already open keep running.
        ["Ads:Authorization:AllowedNodeIds"] = NewStreams,
        ["Ads:Authorization:AllowedClusters"] = NewStreams,
        ["Ads:Authorization:Tokens"] = NewStreams,
        ["Ads:Authorization:TokenFile"] = NewStreams,
    };

    public static ReloadEffect Of(string key) => ByKey.TryGetValue(key, out var effect) ? effect : Restart;

    /// <summary>The keys of every setting whose value differs between two snapshots (lists and maps by content).</summary>
    public static IReadOnlyList<string> Changed(BridgeSettings before, BridgeSettings after) =>
        [.. SettingSections.Values(before).Zip(SettingSections.Values(after))
            .Where(pair => !Equals(pair.First.Value, pair.Second.Value))
            .Select(pair => pair.First.Key)];
}
