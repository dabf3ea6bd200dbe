using Bridge.Core.Consul;

namespace Bridge.Core.Catalog;

/// <summary>Turns Consul's health entries into the normalised instance list of one service.</summary>
internal static class InstanceFactory
{
    /// <summary>
    /// Builds the sorted instance list. Entries without a node or service ID cannot be told apart and are added to
    /// <paramref name="leftOut"/>; a repeated node + service ID keeps the first and reports the rest through
    /// <paramref name="duplicate"/>.
    /// </summary>
    public static ImmutableArray<ServiceInstance> Build(
        string service, IReadOnlyList<HealthServiceEntry> entries, Action<string, InstanceKey>? duplicate = null, List<SkippedInstance>? leftOut = null)
    {
        var byKey = new SortedDictionary<InstanceKey, ServiceInstance>();
        foreach (var entry in entries)
        {
            if (entry is not { Node.Node: { Length: > 0 } node, Service.ID: { Length: > 0 } serviceId })
            {
                leftOut?.Add(new SkippedInstance(
                    entry?.Node?.Node ?? "", entry?.Service?.ID ?? "", entry?.Node?.Node is { Length: > 0 } ? "Service.ID" : "Node.Node", entry is null ? "null" : "(empty)"));
                continue;
            }

            var instance = FromEntry(service, node, serviceId, entry);
            if (!byKey.TryAdd(instance.Key, instance))
            {
                duplicate?.Invoke(service, instance.Key);
            }
        }

        return [.. byKey.Values];
    }

    private static ServiceInstance FromEntry(string service, string node, string serviceId, HealthServiceEntry entry)
    {
        var svc = entry.Service!;
        return new ServiceInstance
        {
            Service = service,
            Key = new InstanceKey(node, serviceId),
            Address = string.IsNullOrEmpty(svc.Address) ? entry.Node!.Address ?? "" : svc.Address,
            Port = svc.Port,
            Health = Aggregate(entry.Checks),
            PassingWeight = svc.Weights?.Passing ?? 1,
            WarningWeight = svc.Weights?.Warning ?? 1,
            Tags = [.. (svc.Tags ?? []).Where(t => t is not null).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Meta = ToSorted(svc.Meta),
            NodeMeta = ToSorted(entry.Node!.Meta),
            Datacenter = entry.Node!.Datacenter ?? "",
            WanAddress = Wan(entry).Address,
            WanPort = Wan(entry).Port,
        };
    }

    /// <summary>The service's tagged WAN address, else the node's with the service's port, as Consul's own xDS picks it.</summary>
    private static (string Address, long Port) Wan(HealthServiceEntry entry)
    {
        var tagged = entry.Service!.TaggedAddresses;
        foreach (var key in WanKeys)
        {
            if (tagged?.GetValueOrDefault(key) is { Address: { Length: > 0 } address } tag)
            {
                return (address, tag.Port > 0 ? tag.Port : entry.Service.Port);
            }
        }

        foreach (var key in WanKeys)
        {
            if (entry.Node!.TaggedAddresses?.GetValueOrDefault(key) is { Length: > 0 } address)
            {
                return (address, entry.Service.Port);
            }
        }

        return ("", 0);
    }

    private static readonly string[] WanKeys = ["wan", "wan_ipv4", "wan_ipv6"];

    /// <summary>Consul's aggregate: maintenance over critical over warning over passing; an unknown status wins over all.</summary>
    public static HealthState Aggregate(IReadOnlyList<HealthCheck>? checks)
    {
        var state = HealthState.Passing;
        foreach (var check in checks ?? [])
        {
            if (check is null)
            {
                // A null in Consul's check list carries no status; it cannot make an instance healthier.
                continue;
            }

            var id = check.CheckID ?? "";
            if (id == "_node_maintenance" || id.StartsWith("_service_maintenance:", StringComparison.Ordinal))
            {
                state = Max(state, HealthState.Maintenance);
                continue;
            }

            state = check.Status switch
            {
                "passing" => state,
                "warning" => Max(state, HealthState.Warning),
                "critical" => Max(state, HealthState.Critical),
                _ => HealthState.Unknown,
            };
            if (state == HealthState.Unknown)
            {
                return state;
            }
        }

        return state;
    }

    private static HealthState Max(HealthState a, HealthState b) => (HealthState)Math.Max((int)a, (int)b);

    private static ImmutableSortedDictionary<string, string> ToSorted(IReadOnlyDictionary<string, string>? map) =>
        map is null || map.Count == 0
            ? ImmutableSortedDictionary<string, string>.Empty
            : map.Where(kv => kv.Key is not null && kv.Value is not null).ToImmutableSortedDictionary(StringComparer.Ordinal);
}
