using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Core.Catalog.Chains;

/// <summary>
/// How a calling service reaches one upstream, from its <c>service-defaults</c> <c>UpstreamConfig</c>: the connect
/// timeout (which wins over the upstream's resolver, as Consul's <c>OverrideConnectTimeout</c> does), the circuit
/// breaker limits and the passive health check. Each part is absent when neither the defaults nor the override set it.
/// </summary>
internal sealed record UpstreamPolicy(TimeSpan? ConnectTimeout, UpstreamLimits? Limits, PassiveHealthCheck? PassiveHealthCheck)
{
    public static UpstreamPolicy None { get; } = new(null, null, null);

    public bool IsEmpty => this == None;

    /// <summary>
    /// Consul's merge of an override into the defaults: a part the override sets replaces the defaults' part whole
    /// (its limits are not merged field by field), a part it leaves unset keeps the defaults'.
    /// </summary>
    public UpstreamPolicy Then(UpstreamPolicy over) => new(
        over.ConnectTimeout ?? ConnectTimeout,
        over.Limits ?? Limits,
        over.PassiveHealthCheck ?? PassiveHealthCheck);

    public static UpstreamPolicy From(UpstreamSettings? settings) => settings is null
        ? None
        : new(
            settings.ConnectTimeoutMs > 0 ? TimeSpan.FromMilliseconds(settings.ConnectTimeoutMs) : null,
            settings.Limits is { MaxConnections: null, MaxPendingRequests: null, MaxConcurrentRequests: null } ? null : settings.Limits,
            settings.PassiveHealthCheck is { } check && check != new PassiveHealthCheck() ? check : null);

    /// <summary>What applies, for <c>/debug/xds</c>; numbers in the invariant culture.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (ConnectTimeout is { } timeout)
        {
            parts.Add(FormattableString.Invariant($"connect timeout {timeout.TotalMilliseconds} ms"));
        }

        if (Limits is { } limits)
        {
            static string Limit(long? value) => value is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
            parts.Add($"limits (connections {Limit(limits.MaxConnections)}, pending {Limit(limits.MaxPendingRequests)}, concurrent {Limit(limits.MaxConcurrentRequests)})");
        }

        if (PassiveHealthCheck is { } check)
        {
            parts.Add(FormattableString.Invariant($"passive health check (max failures {check.MaxFailures}, interval {check.Interval.TotalSeconds} s)"));
        }

        return parts.Count == 0 ? "nothing" : string.Join(", ", parts);
    }
}

/// <summary>
/// A calling service's settings for its upstreams, checked: the defaults for every upstream, and per upstream (by
/// name, matched as Consul matches service names, ignoring case) the defaults with its override merged in.
/// </summary>
internal sealed record CallerUpstreams(UpstreamPolicy Defaults, EquatableArray<(string Upstream, UpstreamPolicy Policy)> Overrides, EquatableArray<string> NotApplied)
{
    /// <summary>What applies to the clusters of <paramref name="upstream"/>; null when nothing does.</summary>
    public UpstreamPolicy? For(string upstream)
    {
        foreach (var (name, policy) in Overrides)
        {
            if (string.Equals(name, upstream, StringComparison.OrdinalIgnoreCase))
            {
                return policy.IsEmpty ? null : policy;
            }
        }

        return Defaults.IsEmpty ? null : Defaults;
    }

    /// <summary>
    /// The upstream settings of a <c>service-defaults</c> entry, or why they cannot be applied (the first rule broken,
    /// saying where). Null with no problem when the entry sets none.
    /// </summary>
    public static CallerUpstreams? From(ServiceDefaultsEntry entry, out string? problem)
    {
        problem = null;
        if (entry.UpstreamConfig is not { } config || (config.Defaults is null && config.Overrides is not { Count: > 0 }))
        {
            return null;
        }

        if (Problem("UpstreamConfig.Defaults", config.Defaults, isOverride: false) is { } inDefaults)
        {
            problem = inDefaults;
            return null;
        }

        var notApplied = new List<string>();
        NoteIgnored("UpstreamConfig.Defaults", config.Defaults, notApplied);
        var defaults = UpstreamPolicy.From(config.Defaults);
        var overrides = new List<(string, UpstreamPolicy)>();
        var overridden = config.Overrides ?? [];
        for (var i = 0; i < overridden.Count; i++)
        {
            var where = $"UpstreamConfig.Overrides[{i}]";
            if (Problem(where, overridden[i], isOverride: true) is { } inOverride)
            {
                problem = inOverride;
                return null;
            }

            if (overrides.Any(o => string.Equals(o.Item1, overridden[i].Name, StringComparison.OrdinalIgnoreCase)))
            {
                problem = $"{where}.Name: \"{overridden[i].Name}\" is overridden twice";
                return null;
            }

            NoteIgnored(where, overridden[i], notApplied);
            overrides.Add((overridden[i].Name!, defaults.Then(UpstreamPolicy.From(overridden[i]))));
        }

        return new CallerUpstreams(defaults, overrides.ToEquatableArray(), notApplied.ToEquatableArray());
    }

    /// <summary>Consul's checks of upstream settings, and what the bridge cannot honour (a peer, another namespace or partition).</summary>
    private static string? Problem(string where, UpstreamSettings? settings, bool isOverride)
    {
        if (settings is null)
        {
            return isOverride ? $"{where}: an override must name its upstream" : null;
        }

        if (isOverride && string.IsNullOrWhiteSpace(settings.Name))
        {
            return $"{where}.Name: an override must name its upstream";
        }

        if (!string.IsNullOrEmpty(settings.Peer))
        {
            return $"{where}.Peer: cluster peers are not supported";
        }

        if (settings.Namespace is { Length: > 0 } ns && ns != "default")
        {
            return $"{where}.Namespace: only the default namespace is supported, not \"{ns}\"";
        }

        if (settings.Partition is { Length: > 0 } partition && partition != "default")
        {
            return $"{where}.Partition: only the default partition is supported, not \"{partition}\"";
        }

        if (settings.ConnectTimeoutMs < 0)
        {
            return $"{where}.ConnectTimeoutMs: {settings.ConnectTimeoutMs} is negative";
        }

        if (settings.Limits is { } limits)
        {
            foreach (var (field, value) in new[] { ("MaxConnections", limits.MaxConnections), ("MaxPendingRequests", limits.MaxPendingRequests), ("MaxConcurrentRequests", limits.MaxConcurrentRequests) })
            {
                if (value is < 0 or > uint.MaxValue)
                {
                    return $"{where}.Limits.{field}: {value} is outside 0 to {uint.MaxValue}";
                }
            }
        }

        if (settings.PassiveHealthCheck is { } check)
        {
            if (check.Interval < TimeSpan.Zero)
            {
                return $"{where}.PassiveHealthCheck.Interval: {check.Interval} is negative";
            }

            if (check.BaseEjectionTime < TimeSpan.Zero)
            {
                return $"{where}.PassiveHealthCheck.BaseEjectionTime: {check.BaseEjectionTime} is negative";
            }

            if (check.EnforcingConsecutive5xx > 100)
            {
                return $"{where}.PassiveHealthCheck.EnforcingConsecutive5xx: {check.EnforcingConsecutive5xx} is above 100 (a percentage)";
            }

            if (check.MaxEjectionPercent > 100)
            {
                return $"{where}.PassiveHealthCheck.MaxEjectionPercent: {check.MaxEjectionPercent} is above 100";
            }
        }

        return null;
    }

    /// <summary>Parts Consul applies that the bridge does not: an upstream's protocol comes from its own chain.</summary>
    private static void NoteIgnored(string where, UpstreamSettings? settings, List<string> notApplied)
    {
        if (settings?.Protocol is { Length: > 0 } protocol)
        {
            notApplied.Add($"{where}.Protocol \"{protocol}\": an upstream's protocol is its own service-defaults'");
        }
    }
}
