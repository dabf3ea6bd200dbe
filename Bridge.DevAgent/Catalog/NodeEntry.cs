namespace Bridge.DevAgent.Catalog;

/// <summary>A node with the services and checks registered on it, keyed and ordered by ID as Consul's memdb indexes are.</summary>
internal sealed record NodeEntry(
    NodeRecord Node,
    ImmutableSortedDictionary<string, ServiceRecord> Services,
    ImmutableSortedDictionary<string, CheckRecord> Checks)
{
    public static NodeEntry Create(NodeRecord node) => new(
        node,
        ImmutableSortedDictionary.Create<string, ServiceRecord>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, CheckRecord>(StringComparer.Ordinal));

    /// <summary>Checks of one instance as <c>/health/service</c> lists them: node-level checks first, then the service's own.</summary>
    public IReadOnlyList<CheckRecord> ChecksOf(string serviceId)
    {
        var result = new List<CheckRecord>();
        foreach (var check in Checks.Values)
        {
            if (check.IsNodeCheck)
            {
                result.Add(check);
            }
        }

        foreach (var check in Checks.Values)
        {
            if (check.ServiceId == serviceId)
            {
                result.Add(check);
            }
        }

        return result;
    }
}
