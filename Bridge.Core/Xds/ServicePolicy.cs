using Bridge.Core.Catalog;

namespace Bridge.Core.Xds;

/// <summary>Upstream protocol a service speaks, from its <c>protocol</c> meta.</summary>
public enum UpstreamProtocol
{
    Http,
    Http2,
    Grpc,
}

/// <summary>Load-balancing policy from a service's <c>lb_policy</c> meta.</summary>
public enum LoadBalancing
{
    RoundRobin,
    LeastRequest,
    Random,
    RingHash,
    Maglev,
}

/// <summary>
/// Per-service cluster options read from Consul service meta. An invalid value is reported with the service,
/// key and value, and that option keeps its default: the service is still served.
/// </summary>
internal sealed record ServicePolicy(
    UpstreamProtocol Protocol,
    TimeSpan? ConnectTimeout,
    LoadBalancing LoadBalancing,
    uint? OutlierConsecutive5xx,
    TimeSpan? OutlierInterval,
    TimeSpan? OutlierBaseEjectionTime,
    uint? OutlierMaxEjectionPercent)
{
    public const string ProtocolKey = "protocol";
    public const string ConnectTimeoutKey = "connect_timeout";
    public const string LbPolicyKey = "lb_policy";
    public const string OutlierConsecutive5xxKey = "outlier_consecutive_5xx";
    public const string OutlierIntervalKey = "outlier_interval";
    public const string OutlierBaseEjectionTimeKey = "outlier_base_ejection_time";
    public const string OutlierMaxEjectionPercentKey = "outlier_max_ejection_percent";

    public static ServicePolicy Default { get; } = new(UpstreamProtocol.Http, null, LoadBalancing.RoundRobin, null, null, null, null);

    public bool HasOutlierDetection => OutlierConsecutive5xx is not null || OutlierInterval is not null || OutlierBaseEjectionTime is not null || OutlierMaxEjectionPercent is not null;

    /// <summary>
    /// Meta lives on instances; a service's value for a key is that of its first instance (by node, then service ID)
    /// that sets the key, so the choice is stable whatever order Consul lists them in.
    /// </summary>
    public static ServicePolicy From(CatalogService service, ILogger logger) =>
        From(service, (key, value, accepted) => XdsLog.InvalidServiceMeta(logger, service.Name, key, value, accepted));

    /// <param name="invalid">Told of each invalid value: its key, the value, and what would be accepted.</param>
    public static ServicePolicy From(CatalogService service, Action<string, string, string> invalid)
    {
        string? Meta(string key) => service.Instances.Select(i => i.Meta.GetValueOrDefault(key)).FirstOrDefault(v => v is not null);

        void Invalid(string key, string value, string accepted) => invalid(key, value, accepted);

        var policy = Default;
        if (Meta(ProtocolKey) is { } protocol)
        {
            switch (protocol.Trim().ToLowerInvariant())
            {
                case "http" or "http1" or "http/1.1":
                    break;
                case "http2" or "h2":
                    policy = policy with { Protocol = UpstreamProtocol.Http2 };
                    break;
                case "grpc":
                    policy = policy with { Protocol = UpstreamProtocol.Grpc };
                    break;
                default:
                    Invalid(ProtocolKey, protocol, "http, http2, grpc");
                    break;
            }
        }

        if (Meta(ConnectTimeoutKey) is { } timeout)
        {
            if (DurationText.TryParse(timeout, out var value) && value > TimeSpan.Zero)
            {
                policy = policy with { ConnectTimeout = value };
            }
            else
            {
                Invalid(ConnectTimeoutKey, timeout, "a positive duration such as 250ms, 2s or 1m");
            }
        }

        if (Meta(LbPolicyKey) is { } lb)
        {
            LoadBalancing? parsed = lb.Trim().ToLowerInvariant() switch
            {
                "round_robin" => LoadBalancing.RoundRobin,
                "least_request" => LoadBalancing.LeastRequest,
                "random" => LoadBalancing.Random,
                "ring_hash" => LoadBalancing.RingHash,
                "maglev" => LoadBalancing.Maglev,
                _ => null,
            };
            if (parsed is { } value)
            {
                policy = policy with { LoadBalancing = value };
            }
            else
            {
                Invalid(LbPolicyKey, lb, "round_robin, least_request, random, ring_hash, maglev");
            }
        }

        if (Meta(OutlierConsecutive5xxKey) is { } c5xx)
        {
            if (uint.TryParse(c5xx, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                policy = policy with { OutlierConsecutive5xx = n };
            }
            else
            {
                Invalid(OutlierConsecutive5xxKey, c5xx, "a whole number above 0");
            }
        }

        policy = ReadDuration(OutlierIntervalKey, (p, v) => p with { OutlierInterval = v });
        policy = ReadDuration(OutlierBaseEjectionTimeKey, (p, v) => p with { OutlierBaseEjectionTime = v });

        if (Meta(OutlierMaxEjectionPercentKey) is { } percent)
        {
            if (uint.TryParse(percent, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 100)
            {
                policy = policy with { OutlierMaxEjectionPercent = n };
            }
            else
            {
                Invalid(OutlierMaxEjectionPercentKey, percent, "a whole number from 0 to 100");
            }
        }

        return policy;

        ServicePolicy ReadDuration(string key, Func<ServicePolicy, TimeSpan, ServicePolicy> set)
        {
            if (Meta(key) is not { } text)
            {
                return policy;
            }

            if (DurationText.TryParse(text, out var value) && value > TimeSpan.Zero)
            {
                return set(policy, value);
            }

            Invalid(key, text, "a positive duration such as 10s or 1m");
            return policy;
        }
    }
}
