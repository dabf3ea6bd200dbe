namespace Bridge.DevAgent.Catalog;

/// <summary>Where an instance lives; orders instances by node, then ID, as Consul returns them.</summary>
internal readonly record struct ServiceInstanceKey(string Node, string ServiceId) : IComparable<ServiceInstanceKey>
{
    public int CompareTo(ServiceInstanceKey other)
    {
        var byNode = string.CompareOrdinal(Node, other.Node);
        return byNode != 0 ? byNode : string.CompareOrdinal(ServiceId, other.ServiceId);
    }
}
