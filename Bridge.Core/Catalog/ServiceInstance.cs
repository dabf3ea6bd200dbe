namespace Bridge.Core.Catalog;

/// <summary>Identity of an instance: service IDs are unique per agent, not cluster-wide, so the node is part of it.</summary>
public readonly record struct InstanceKey(string Node, string ServiceId) : IComparable<InstanceKey>
{
    public int CompareTo(InstanceKey other)
    {
        var byNode = string.CompareOrdinal(Node, other.Node);
        return byNode != 0 ? byNode : string.CompareOrdinal(ServiceId, other.ServiceId);
    }

    public override string ToString() => $"{Node}/{ServiceId}";
}

/// <summary>One instance of a service as Consul reported it, normalised so that equal content compares equal.</summary>
public sealed record ServiceInstance
{
    public required string Service { get; init; }
    public required InstanceKey Key { get; init; }

    /// <summary><c>Service.Address</c>, else <c>Node.Address</c>; not validated here (translation does that).</summary>
    public required string Address { get; init; }

    /// <summary>Consul's port, whatever its range (Consul accepts any integer); translation checks it.</summary>
    public required long Port { get; init; }

    public required HealthState Health { get; init; }

    /// <summary>Consul's weights as registered (any positive integer); translation clamps them to what xDS carries.</summary>
    public long PassingWeight { get; init; } = 1;

    public long WarningWeight { get; init; } = 1;

    /// <summary>De-duplicated and sorted: Consul's health endpoint keeps duplicates and order varies.</summary>
    public ImmutableArray<string> Tags { get; init; } = [];

    /// <summary>
    /// Where another datacenter reaches the instance: the service's tagged <c>wan</c> address (or <c>wan_ipv4</c>,
    /// <c>wan_ipv6</c>), else the node's, with the service's port unless the tagged address gives one; empty when
    /// neither has one (then <see cref="Address"/> is used).
    /// </summary>
    public string WanAddress { get; init; } = "";

    public long WanPort { get; init; }

    public ImmutableSortedDictionary<string, string> Meta { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> NodeMeta { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public required string Datacenter { get; init; }

    public bool Equals(ServiceInstance? other) =>
        other is not null
        && Service == other.Service
        && Key == other.Key
        && Address == other.Address
        && Port == other.Port
        && Health == other.Health
        && PassingWeight == other.PassingWeight
        && WarningWeight == other.WarningWeight
        && Datacenter == other.Datacenter
        && WanAddress == other.WanAddress
        && WanPort == other.WanPort
        && Tags.SequenceEqual(other.Tags)
        && SameMap(Meta, other.Meta)
        && SameMap(NodeMeta, other.NodeMeta);

    /// <summary>Walks both sorted maps in step with their struct enumerators: a diff of thousands of instances allocates nothing.</summary>
    private static bool SameMap(ImmutableSortedDictionary<string, string> a, ImmutableSortedDictionary<string, string> b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        using var left = a.GetEnumerator();
        using var right = b.GetEnumerator();
        while (left.MoveNext() && right.MoveNext())
        {
            if (!string.Equals(left.Current.Key, right.Current.Key, StringComparison.Ordinal)
                || !string.Equals(left.Current.Value, right.Current.Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode() => HashCode.Combine(Service, Key, Address, Port, Health, PassingWeight, WarningWeight, Tags.Length);
}
