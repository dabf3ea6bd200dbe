using Bridge.Core.Configuration;

namespace Bridge.Core.Ads;

/// <summary>
/// The ADS server's behaviour towards proxies. Bound from the <c>Ads</c> section; its map is an
/// <see cref="EquatableDictionary{TKey, TValue}"/>, so two snapshots compare by content.
/// </summary>
public sealed record AdsOptions
{
    public const string SectionName = "Ads";

    /// <summary>Address and port the ADS gRPC server listens on (plaintext HTTP/2).</summary>
    public string Listen { get; init; } = "127.0.0.1:18000";

    /// <summary>Node-metadata key a client may set to <c>envoy</c> or <c>grpc</c> to choose the resources it gets.</summary>
    public string ClientKindMetadataKey { get; init; } = "bridge.client_kind";

    /// <summary>
    /// Node-metadata key listing the services a node calls (comma-separated, or a list); such a node receives only
    /// their clusters, endpoints, listeners and virtual hosts. Absent or <c>*</c> means every service.
    /// </summary>
    public string ServicesMetadataKey { get; init; } = "bridge.services";

    /// <summary>
    /// Node-metadata key naming the service a node belongs to (one name); such a node receives the clusters of its
    /// upstreams shaped by that service's <c>service-defaults</c> <c>UpstreamConfig</c>. Absent means no caller.
    /// </summary>
    public string ServiceNameMetadataKey { get; init; } = "bridge.service_name";

    /// <summary>Node ids whose kind is fixed by configuration, overriding metadata and user agent.</summary>
    public IReadOnlyDictionary<string, string> ClientKindOverrides { get; init => field = EquatableDictionary<string, string>.From(value); } = EquatableDictionary<string, string>.Empty;

    /// <summary>Largest number of resource names one request may list; more is refused as abuse.</summary>
    public int MaxResourceNamesPerRequest { get; init; } = 100_000;

    /// <summary>Requests a stream may queue before reading from it pauses; bounds per-stream memory.</summary>
    public int RequestQueueLength { get; init; } = 32;

    /// <summary>How long a stream opened before the first full sync waits before it is told UNAVAILABLE to retry later.</summary>
    public TimeSpan InitialSyncTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Streams open at once, over all peers; one more is refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxStreams { get; init; } = 20_000;

    /// <summary>Streams open at once from one peer IP address.</summary>
    public int MaxStreamsPerPeer { get; init; } = 1_000;

    /// <summary>
    /// How long a stream may stay open: once older (each stream's limit drawn within ±10% of this, so streams opened
    /// together do not end together) and after it has been answered, the bridge ends it with OK, between two
    /// responses, and its proxy reconnects at once, to whichever replica its connection reaches. This spreads
    /// proxies over replicas again after one returns. Zero keeps streams as long as their proxies do.
    /// </summary>
    public TimeSpan MaxStreamAge { get; init; } = TimeSpan.Zero;

    /// <summary>The shortest <see cref="MaxStreamAge"/> accepted (zero aside).</summary>
    public static readonly TimeSpan MinStreamAge = TimeSpan.FromSeconds(1);

    /// <summary>The longest <see cref="MaxStreamAge"/> accepted.</summary>
    public static readonly TimeSpan MaxStreamAgeLimit = TimeSpan.FromDays(7);
}
