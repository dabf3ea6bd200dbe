using Bridge.DevAgent.ConfigEntries;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// One catalog write (one Raft entry): every change it makes carries the same index. It follows the
/// index rules of Consul's state store (agent/consul/state/catalog.go):
/// <list type="bullet">
/// <item>A write that changes nothing bumps nothing. Consul ≥ 1.4 returns early from
/// <c>ensureServiceTxn</c> (<c>IsSameService</c>), <c>ensureCheckTxn</c> and <c>ensureNodeTxn</c>
/// (<c>IsSame</c>), so re-registering an identical instance leaves every index where it was.
/// (Older servers bumped; <see cref="DevCatalog.TouchService"/> reproduces that on demand.)</item>
/// <item>A service change bumps the <c>services</c> table and that service's index; a service check
/// change bumps the service's index; a node or node-level check change bumps the index of every
/// service on that node.</item>
/// <item>When a name loses its last instance its index entry goes and the extinction index moves.</item>
/// <item>A config entry write moves the <c>config-entries</c> table index and nothing of the catalog's.</item>
/// </list>
/// </summary>
internal sealed class CatalogTransaction
{
    private readonly CatalogState _base;
    private readonly ulong _index;
    private readonly ImmutableSortedDictionary<string, NodeEntry>.Builder _nodes;
    private readonly ImmutableSortedDictionary<string, ImmutableSortedSet<ServiceInstanceKey>>.Builder _byName;
    private readonly ImmutableDictionary<string, ulong>.Builder _serviceIndexes;
    private readonly HashSet<string> _scopes = new(StringComparer.Ordinal);
    private ulong _nodesIndex;
    private ulong _servicesIndex;
    private ulong _checksIndex;
    private ulong _extinctionIndex;
    private ulong _configEntriesIndex;
    private ImmutableSortedDictionary<ConfigEntryKey, ConfigEntry> _configEntries;

    public CatalogTransaction(CatalogState state)
    {
        _base = state;
        _index = state.Index + 1;
        _nodes = state.Nodes.ToBuilder();
        _byName = state.ServicesByName.ToBuilder();
        _serviceIndexes = state.ServiceIndexes.ToBuilder();
        _nodesIndex = state.NodesIndex;
        _servicesIndex = state.ServicesIndex;
        _checksIndex = state.ChecksIndex;
        _extinctionIndex = state.ExtinctionIndex;
        _configEntriesIndex = state.ConfigEntriesIndex;
        _configEntries = state.ConfigEntries;
    }

    public bool Changed => _scopes.Count > 0;

    /// <summary>The signal scopes whose index this write moved.</summary>
    public IReadOnlyCollection<string> Scopes => _scopes;

    public NodeEntry? Node(string name) => _nodes.GetValueOrDefault(name);

    public CatalogState Commit() => Changed
        ? _base with
        {
            Index = _index,
            NodesIndex = _nodesIndex,
            ServicesIndex = _servicesIndex,
            ChecksIndex = _checksIndex,
            ExtinctionIndex = _extinctionIndex,
            ServiceIndexes = _serviceIndexes.ToImmutable(),
            Nodes = _nodes.ToImmutable(),
            ServicesByName = _byName.ToImmutable(),
            ConfigEntriesIndex = _configEntriesIndex,
            ConfigEntries = _configEntries,
        }
        : _base;

    public void EnsureNode(NodeRecord candidate)
    {
        var existing = _nodes.GetValueOrDefault(candidate.Node);
        if (existing is not null && existing.Node.SameContentAs(candidate))
        {
            return;
        }

        var record = candidate with { CreateIndex = existing?.Node.CreateIndex ?? _index, ModifyIndex = _index };
        _nodes[candidate.Node] = existing is null ? NodeEntry.Create(record) : existing with { Node = record };
        TouchNodesTable();
        if (existing is not null)
        {
            TouchAllServicesOf(existing);
        }
    }

    public void EnsureService(string nodeName, ServiceRecord candidate)
    {
        var entry = _nodes.GetValueOrDefault(nodeName)
            ?? throw new DevAgentException(500, ConsulErrors.MissingNodeRegistration);
        var existing = entry.Services.GetValueOrDefault(candidate.Id);
        if (existing is not null && existing.SameContentAs(candidate))
        {
            return;
        }

        var record = candidate with { CreateIndex = existing?.CreateIndex ?? _index, ModifyIndex = _index };
        entry = entry with { Services = entry.Services.SetItem(record.Id, record) };
        var key = new ServiceInstanceKey(nodeName, record.Id);
        if (existing is not null && existing.Service != record.Service)
        {
            RemoveFromName(existing.Service, key);
        }

        _byName[record.Service] = _byName.TryGetValue(record.Service, out var keys)
            ? keys.Add(key)
            : ImmutableSortedSet.Create(key);
        TouchServicesTable();
        TouchService(record.Service);

        // Checks carry a copy of their service's name and tags; keep them in step.
        foreach (var check in entry.Checks.Values)
        {
            if (check.ServiceId == record.Id
                && (check.ServiceName != record.Service || !check.ServiceTags.SequenceEqual(record.Tags, StringComparer.Ordinal)))
            {
                var refreshed = check with { ServiceName = record.Service, ServiceTags = record.Tags, ModifyIndex = _index };
                entry = entry with { Checks = entry.Checks.SetItem(check.CheckId, refreshed) };
                TouchChecksTable();
            }
        }

        _nodes[nodeName] = entry;
    }

    public void EnsureCheck(CheckRecord candidate)
    {
        var entry = _nodes.GetValueOrDefault(candidate.Node)
            ?? throw new DevAgentException(500, ConsulErrors.MissingNodeRegistration);
        ServiceRecord? service = null;
        if (!candidate.IsNodeCheck)
        {
            service = entry.Services.GetValueOrDefault(candidate.ServiceId)
                ?? throw new DevAgentException(500, ConsulErrors.MissingServiceRegistration);
            candidate = candidate with { ServiceName = service.Service, ServiceTags = service.Tags };
        }
        else
        {
            candidate = candidate with { ServiceName = string.Empty, ServiceTags = [] };
        }

        var existing = entry.Checks.GetValueOrDefault(candidate.CheckId);
        if (existing is not null && existing.SameContentAs(candidate))
        {
            return;
        }

        var record = candidate with { CreateIndex = existing?.CreateIndex ?? _index, ModifyIndex = _index };
        entry = entry with { Checks = entry.Checks.SetItem(record.CheckId, record) };
        _nodes[record.Node] = entry;
        TouchChecksTable();
        if (existing is not null && existing.ServiceId != record.ServiceId)
        {
            TouchOwnerOf(entry, existing);
        }

        TouchOwnerOf(entry, record);
    }

    public bool DeleteCheck(string nodeName, string checkId)
    {
        var entry = _nodes.GetValueOrDefault(nodeName);
        if (entry is null || !entry.Checks.TryGetValue(checkId, out var existing))
        {
            return false;
        }

        entry = entry with { Checks = entry.Checks.Remove(checkId) };
        _nodes[nodeName] = entry;
        TouchChecksTable();
        TouchOwnerOf(entry, existing);
        if (existing.IsNodeCheck)
        {
            // deleteCheckTxn also moves the services table for a node-level check.
            TouchServicesTable();
        }

        return true;
    }

    public bool DeleteService(string nodeName, string serviceId)
    {
        var entry = _nodes.GetValueOrDefault(nodeName);
        if (entry is null || !entry.Services.TryGetValue(serviceId, out var existing))
        {
            return false;
        }

        foreach (var check in entry.Checks.Values)
        {
            if (check.ServiceId == serviceId)
            {
                DeleteCheck(nodeName, check.CheckId);
            }
        }

        entry = _nodes[nodeName];
        _nodes[nodeName] = entry with { Services = entry.Services.Remove(serviceId) };
        TouchServicesTable();
        RemoveFromName(existing.Service, new ServiceInstanceKey(nodeName, serviceId));
        return true;
    }

    public bool DeleteNode(string nodeName)
    {
        var entry = _nodes.GetValueOrDefault(nodeName);
        if (entry is null)
        {
            return false;
        }

        foreach (var serviceId in entry.Services.Keys)
        {
            DeleteService(nodeName, serviceId);
        }

        foreach (var checkId in entry.Checks.Keys)
        {
            DeleteCheck(nodeName, checkId);
        }

        _nodes.Remove(nodeName);
        TouchNodesTable();
        return true;
    }

    /// <summary>Inserts or replaces a config entry (ensureConfigEntryTxn): it keeps its CreateIndex and takes this write's ModifyIndex.</summary>
    public ConfigEntry EnsureConfigEntry(ConfigEntry entry)
    {
        var key = ConfigEntryKey.Of(entry);
        var existing = _configEntries.GetValueOrDefault(key);
        var record = entry with { CreateIndex = existing?.CreateIndex ?? _index, ModifyIndex = _index };
        _configEntries = _configEntries.SetItem(key, record);
        TouchConfigEntry(key);
        return record;
    }

    /// <summary>Removes a config entry (deleteConfigEntryTxn); false when there is none.</summary>
    public bool DeleteConfigEntry(ConfigEntryKey key)
    {
        if (!_configEntries.ContainsKey(key))
        {
            return false;
        }

        _configEntries = _configEntries.Remove(key);
        TouchConfigEntry(key);
        return true;
    }

    /// <summary>Moves a service's index without changing its entries.</summary>
    public bool BumpService(string serviceName)
    {
        if (!_byName.ContainsKey(serviceName))
        {
            return false;
        }

        TouchServicesTable();
        TouchService(serviceName);
        return true;
    }

    private void RemoveFromName(string serviceName, ServiceInstanceKey key)
    {
        var remaining = _byName[serviceName].Remove(key);
        if (remaining.IsEmpty)
        {
            _byName.Remove(serviceName);
            _serviceIndexes.Remove(serviceName);
            _extinctionIndex = _index;
            _scopes.Add(ChangeSignals.ServiceScope(serviceName));
        }
        else
        {
            _byName[serviceName] = remaining;
            TouchService(serviceName);
        }
    }

    private void TouchOwnerOf(NodeEntry entry, CheckRecord check)
    {
        if (check.IsNodeCheck)
        {
            TouchAllServicesOf(entry);
        }
        else if (entry.Services.TryGetValue(check.ServiceId, out var service))
        {
            TouchService(service.Service);
        }
    }

    private void TouchAllServicesOf(NodeEntry entry)
    {
        foreach (var service in entry.Services.Values)
        {
            TouchService(service.Service);
        }
    }

    private void TouchService(string serviceName)
    {
        _serviceIndexes[serviceName] = _index;
        _scopes.Add(ChangeSignals.ServiceScope(serviceName));
    }

    private void TouchConfigEntry(ConfigEntryKey key)
    {
        _configEntriesIndex = _index;
        _scopes.Add(ChangeSignals.ConfigEntriesScope);
        _scopes.Add(ChangeSignals.ConfigEntryScope(key.Kind, key.Name));
    }

    private void TouchNodesTable()
    {
        _nodesIndex = _index;
        _scopes.Add(ChangeSignals.NodesScope);
    }

    private void TouchServicesTable()
    {
        _servicesIndex = _index;
        _scopes.Add(ChangeSignals.ServicesScope);
    }

    private void TouchChecksTable()
    {
        _checksIndex = _index;
        _scopes.Add(ChangeSignals.ChecksScope);
    }
}
