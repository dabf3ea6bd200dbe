namespace Bridge.Core.Catalog;

/// <summary>How one service changed between two snapshots.</summary>
public sealed record ServiceChange(
    string Service,
    ServiceChangeKind Kind,
    ImmutableArray<ServiceInstance> Added,
    ImmutableArray<ServiceInstance> Removed,
    ImmutableArray<ServiceInstance> Changed);

public enum ServiceChangeKind
{
    Added,
    Removed,
    Changed,
}

/// <summary>Every service that changed between two snapshots; empty when nothing did.</summary>
public sealed record CatalogDiff(ImmutableArray<ServiceChange> Changes)
{
    public static CatalogDiff None { get; } = new(ImmutableArray<ServiceChange>.Empty);

    /// <summary>Services whose routing chain changed, and target reads whose instances changed.</summary>
    internal Chains.RoutingChange Routing { get; init; } = Chains.RoutingChange.None;

    public bool IsEmpty => Changes.IsEmpty && Routing.IsEmpty;

    /// <summary>Compares two instance lists sorted by key in one merge pass.</summary>
    public static (ImmutableArray<ServiceInstance> Added, ImmutableArray<ServiceInstance> Removed, ImmutableArray<ServiceInstance> Changed) Instances(
        ImmutableArray<ServiceInstance> before, ImmutableArray<ServiceInstance> after)
    {
        var added = ImmutableArray.CreateBuilder<ServiceInstance>();
        var removed = ImmutableArray.CreateBuilder<ServiceInstance>();
        var changed = ImmutableArray.CreateBuilder<ServiceInstance>();
        int i = 0, j = 0;
        while (i < before.Length || j < after.Length)
        {
            var cmp = i == before.Length ? 1 : j == after.Length ? -1 : before[i].Key.CompareTo(after[j].Key);
            if (cmp < 0)
            {
                removed.Add(before[i++]);
            }
            else if (cmp > 0)
            {
                added.Add(after[j++]);
            }
            else
            {
                if (!before[i].Equals(after[j]))
                {
                    changed.Add(after[j]);
                }

                i++;
                j++;
            }
        }

        return (added.ToImmutable(), removed.ToImmutable(), changed.ToImmutable());
    }
}
