using Bridge.Core.Catalog;
using Bridge.Core.Consul;
using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Testing.Consul;

/// <summary>An instance of a service as a test describes it; becomes one Consul health entry.</summary>
internal sealed record TestInstance(string Address, int Port, string Status = "passing", IReadOnlyDictionary<string, string>? Meta = null)
{
    public string Id => $"{Address}:{Port}";

    public string Endpoint => $"{Address}:{Port}";

    public HealthServiceEntry ToEntry(string service) => new()
    {
        Node = new ConsulNode { Node = "node-" + Address, Address = Address, Datacenter = "dc1" },
        Service = new AgentService { ID = $"{service}-{Id}", Service = service, Address = Address, Port = Port, Meta = Meta },
        Checks = [new HealthCheck { CheckID = "serfHealth", Status = Status }],
    };
}

/// <summary>
/// What Consul answered, as a test says it: each call is one batch of the events the Consul watch would have
/// produced, applied to the catalog store at once, so the test knows exactly what each snapshot holds.
/// </summary>
internal sealed class ConsulFeed(CatalogStore store)
{
    private readonly Dictionary<string, TestInstance[]> _services = new(StringComparer.Ordinal);
    private ulong _index;

    /// <summary>
    /// What the watch reports of a Consul in datacenter dc1 without config entries: start-up waits for it as for
    /// the services, since routing is part of what is served.
    /// </summary>
    public static IEnumerable<ConsulEvent> NoRouting(string datacenter = "dc1") =>
        ConfigEntryKinds.All.Select(kind => (ConsulEvent)new ConfigEntriesObserved(new ConfigEntryList(kind, [], []), 1)).Append(new LocalDatacenterObserved(datacenter));

    /// <summary>
    /// Every config entry kind as the watch reads it, all at <paramref name="index"/>: these entries (JSON as Consul
    /// returns them, each kind taken from its <c>Kind</c>), and none of the kinds not given.
    /// </summary>
    public static ConsulEvent[] ConfigEntries(ulong index, params string[] json)
    {
        var byKind = json.ToLookup(entry => System.Text.Json.JsonDocument.Parse(entry).RootElement.GetProperty("Kind").GetString()!);
        return
        [
            .. ConfigEntryKinds.All.Select(kind => (ConsulEvent)new ConfigEntriesObserved(
                ConfigEntryDecoder.Decode(kind, System.Text.Encoding.UTF8.GetBytes($"[{string.Join(",", byKind[kind.ApiName()])}]")), index)),
        ];
    }

    /// <summary>The first full read of Consul: exactly these services and no config entries, after which the catalog is synced.</summary>
    public void Sync(params (string Service, TestInstance[] Instances)[] services)
    {
        List<ConsulEvent> events = [.. NoRouting(), new ServiceSetObserved([.. services.Select(s => s.Service)], ++_index)];
        foreach (var (service, instances) in services)
        {
            _services[service] = instances;
            events.Add(new ServiceEntriesObserved(service, ++_index, [.. instances.Select(i => i.ToEntry(service))]));
        }

        Apply([.. events]);
    }

    /// <summary>Adds the service or replaces its instances, as one Consul blocking query returning.</summary>
    public void SetService(string service, params TestInstance[] instances)
    {
        List<ConsulEvent> events = [];
        if (!_services.ContainsKey(service))
        {
            events.Add(new ServiceSetObserved([.. _services.Keys.Append(service)], ++_index));
        }

        _services[service] = instances;
        events.Add(new ServiceEntriesObserved(service, ++_index, [.. instances.Select(i => i.ToEntry(service))]));
        Apply([.. events]);
    }

    /// <summary>Sets the check status of the instance at <paramref name="endpoint"/> (<c>passing</c>, <c>critical</c>, ...).</summary>
    public void SetHealth(string service, string endpoint, string status) =>
        SetService(service, [.. _services[service].Select(i => i.Endpoint == endpoint ? i with { Status = status } : i)]);

    /// <summary>The service leaves the Consul catalog.</summary>
    public void RemoveService(string service)
    {
        _services.Remove(service);
        Apply(new ServiceSetObserved([.. _services.Keys], ++_index));
    }

    /// <summary>Events as the watch would emit them, in one batch.</summary>
    public void Apply(params ConsulEvent[] events) => store.Apply(events);
}
