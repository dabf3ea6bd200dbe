using Bridge.DevAgent.Acl;
using Bridge.DevAgent.ConfigEntries;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// Config entries, as Consul's <c>ConfigEntry</c> endpoint and state store keep them (agent/consul/config_endpoint.go,
/// agent/consul/state/config_entry.go): writes go to the primary datacenter whichever datacenter they are sent to, and
/// reach the others by replication; reads see their own datacenter's copy.
/// </summary>
public sealed partial class DevCatalog
{
    /// <summary>Index of this datacenter's <c>config-entries</c> table (what config entry reads report).</summary>
    public ulong ConfigEntriesIndex => State.ConfigEntriesIndex;

    /// <summary>An entry of this datacenter, found regardless of the name's case; null when there is none.</summary>
    /// <param name="kind">Kind, e.g. <see cref="ConfigEntryKinds.ServiceResolver"/>.</param>
    /// <param name="name">Name.</param>
    public ConfigEntry? GetConfigEntry(string kind, string name) =>
        State.ConfigEntries.GetValueOrDefault(ConfigEntryKey.Of(kind, name));

    /// <summary>This datacenter's entries of a kind (every kind when empty), sorted as Consul lists them.</summary>
    /// <param name="kind">Kind, or empty.</param>
    public IReadOnlyList<ConfigEntry> ListConfigEntries(string kind = "") => [.. State.ConfigEntriesOf(kind)];

    /// <summary>
    /// Writes an entry as <c>PUT /v1/config</c> does: in the primary datacenter, normalized and validated as Consul does
    /// (refusals carry Consul's status and text), then replicated to every reachable datacenter.
    /// </summary>
    /// <param name="entry">The entry; its indexes are ignored.</param>
    /// <param name="cas">Check-and-set: write only if the entry's ModifyIndex is this (0: only if absent).</param>
    /// <returns>True when written or identical to what is stored; false when the check-and-set failed.</returns>
    /// <exception cref="DevAgentException">Consul would refuse the entry.</exception>
    public bool ApplyConfigEntry(ConfigEntry entry, ulong? cas = null) => ApplyConfigEntry(entry, cas, Authorizer.AllowAll);

    /// <summary>Deletes an entry as <c>DELETE /v1/config/&lt;kind&gt;/&lt;name&gt;</c> does, in the primary datacenter, then replicates.</summary>
    /// <param name="kind">Kind.</param>
    /// <param name="name">Name.</param>
    /// <param name="cas">Check-and-set: delete only if the entry's ModifyIndex is this.</param>
    /// <returns>False only when the check-and-set failed; deleting an absent entry succeeds.</returns>
    /// <exception cref="DevAgentException">Consul would refuse the deletion (e.g. a router still needs the protocol).</exception>
    public bool DeleteConfigEntry(string kind, string name, ulong? cas = null) => DeleteConfigEntry(kind, name, cas, Authorizer.AllowAll);

    /// <summary>ConfigEntry.Apply: forward to the primary, normalize and validate, check the token, skip a no-op, then write.</summary>
    internal bool ApplyConfigEntry(ConfigEntry entry, ulong? cas, Authorizer authz)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var primary = Federation.Primary();
        if (primary != this)
        {
            return primary.ApplyConfigEntry(entry, cas, authz);
        }

        entry = ConfigEntryRules.Check(entry);
        RequireWrite(entry, authz);
        var key = ConfigEntryKey.Of(entry);
        lock (_gate)
        {
            var current = _state.ConfigEntries.GetValueOrDefault(key);

            // shouldSkipOperation: an identical entry is a success that writes nothing, whatever the check-and-set says.
            if (current is not null && ConfigEntryComparison.SameContent(current, entry))
            {
                return true;
            }

            if (cas is { } expected && (expected == 0 ? current is not null : current is null || current.ModifyIndex != expected))
            {
                return false;
            }

            if (DiscoveryChainCheck.Problem(_state.ConfigEntries, key, entry.Name, entry) is { } problem)
            {
                throw new DevAgentException(500, problem);
            }

            WriteLocked(tx => tx.EnsureConfigEntry(entry));
        }

        Federation.ReplicateConfigEntries();
        return true;
    }

    /// <summary>ConfigEntry.Delete: forward to the primary, check the token, skip an absent entry, then delete.</summary>
    internal bool DeleteConfigEntry(string kind, string name, ulong? cas, Authorizer authz)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(name);
        var primary = Federation.Primary();
        if (primary != this)
        {
            return primary.DeleteConfigEntry(kind, name, cas, authz);
        }

        RequireWrite(ConfigEntryDecoder.Stub(kind, name), authz);
        var key = ConfigEntryKey.Of(kind, name);
        lock (_gate)
        {
            if (_state.ConfigEntries.GetValueOrDefault(key) is not { } current)
            {
                return true;
            }

            if (cas is { } expected && current.ModifyIndex != expected)
            {
                return false;
            }

            if (DiscoveryChainCheck.Problem(_state.ConfigEntries, key, current.Name, null) is { } problem)
            {
                throw new DevAgentException(500, problem);
            }

            WriteLocked(tx => tx.DeleteConfigEntry(key));
        }

        Federation.ReplicateConfigEntries();
        return true;
    }

    /// <summary>
    /// Brings this datacenter's entries in line with the primary's, as a secondary's config replication does: deletions
    /// first, then every entry that differs, each its own write with this datacenter's indexes. No graph check runs:
    /// the primary checked every entry.
    /// </summary>
    internal void ReplicateConfigEntriesFrom(CatalogState primary)
    {
        lock (_gate)
        {
            foreach (var key in _state.ConfigEntries.Keys.Where(k => !primary.ConfigEntries.ContainsKey(k)).ToList())
            {
                WriteLocked(tx => tx.DeleteConfigEntry(key));
            }

            foreach (var (key, entry) in primary.ConfigEntries)
            {
                if (_state.ConfigEntries.GetValueOrDefault(key) is not { } local || !ConfigEntryComparison.SameContent(local, entry))
                {
                    WriteLocked(tx => tx.EnsureConfigEntry(entry));
                }
            }
        }
    }

    // CanWrite: service:write on the entry's name and, for chain entries, service:read on every service they send traffic to.
    private static void RequireWrite(ConfigEntry entry, Authorizer authz)
    {
        authz.RequireServiceWrite(entry.Name);
        foreach (var related in ConfigEntryRules.RelatedServices(entry))
        {
            if (!authz.ServiceRead(related))
            {
                throw authz.Denied("service", "read", related);
            }
        }
    }
}
