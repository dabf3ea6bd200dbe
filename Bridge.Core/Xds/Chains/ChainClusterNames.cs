using Bridge.Core.Catalog.Chains;

namespace Bridge.Core.Xds.Chains;

/// <summary>
/// The names of the clusters (and of their ClusterLoadAssignments) a discovery chain is served with:
/// <list type="table">
/// <item><term><c>web</c></term><description>the whole service in the local datacenter: the cluster every service has
/// without config entries, under the same name, so that a chain leading there changes nothing for clients that
/// already hold it.</description></item>
/// <item><term><c>web~v2</c></term><description>subset <c>v2</c> of <c>web</c>, local.</description></item>
/// <item><term><c>web@dc2</c></term><description>the whole service in datacenter <c>dc2</c>.</description></item>
/// <item><term><c>web~v2@dc2</c></term><description>subset <c>v2</c> in <c>dc2</c>.</description></item>
/// <item><term><c>web~v2@dc2/failover</c></term><description>the aggregate cluster of a target with failover: the
/// target's own cluster first, then its failover targets' in order. Routes lead here rather than to the
/// target.</description></item>
/// </list>
/// None of these can be mistaken for a service's name in practice: Consul refuses subset names other than lower-case
/// letters, digits and '-', datacenter names other than those and '_', and a service name holding '/' cannot be read
/// back through <c>/v1/health/service/&lt;name&gt;</c>; '~' and '@' are far outside Consul's DNS-compatible names. A
/// catalog service whose own name holds '~' or '@' would still be read back here as a chain target of another
/// service (see <see cref="Service"/>).
/// </summary>
internal static class ChainClusterNames
{
    public const char SubsetMark = '~';
    public const char DatacenterMark = '@';
    public const string FailoverSuffix = "/failover";

    /// <summary>The cluster of <paramref name="target"/>, seen from <paramref name="localDatacenter"/>.</summary>
    public static string Of(TargetId target, string localDatacenter)
    {
        var name = target.Subset.Length == 0 ? target.Service : $"{target.Service}{SubsetMark}{target.Subset}";
        return target.Datacenter == localDatacenter ? name : $"{name}{DatacenterMark}{target.Datacenter}";
    }

    /// <summary>The aggregate cluster over <paramref name="target"/> and its failover targets.</summary>
    public static string Failover(TargetId target, string localDatacenter) => Of(target, localDatacenter) + FailoverSuffix;

    /// <summary>
    /// Reads a cluster name back: the target it names (in <paramref name="localDatacenter"/> when it names no other)
    /// and whether it is the target's failover aggregate. Every name parses: a name without the marks is a whole
    /// local service. A subset or datacenter part that Consul could not have produced (empty, or with characters
    /// Consul refuses) is taken as part of the service's name.
    /// </summary>
    public static (TargetId Target, bool Failover) Parse(string clusterName, string localDatacenter)
    {
        var name = clusterName;
        var failover = name.Length > FailoverSuffix.Length && name.EndsWith(FailoverSuffix, StringComparison.Ordinal);
        if (failover)
        {
            name = name[..^FailoverSuffix.Length];
        }

        var datacenter = localDatacenter;
        var at = name.LastIndexOf(DatacenterMark);
        if (at > 0 && IsConsulName(name.AsSpan(at + 1), allowUnderscore: true))
        {
            datacenter = name[(at + 1)..];
            name = name[..at];
        }

        var subset = "";
        var tilde = name.LastIndexOf(SubsetMark);
        if (tilde > 0 && IsConsulName(name.AsSpan(tilde + 1), allowUnderscore: false))
        {
            subset = name[(tilde + 1)..];
            name = name[..tilde];
        }

        return (new TargetId(name, subset, datacenter), failover);
    }

    /// <summary>The service whose instances a cluster holds (the first for an aggregate): what a scope is checked against.</summary>
    public static string Service(string clusterName) => Parse(clusterName, "").Target.Service;

    /// <summary>Lower-case letters, digits and '-' (and '_' for a datacenter), not empty: what Consul accepts as a subset or datacenter name.</summary>
    private static bool IsConsulName(ReadOnlySpan<char> part, bool allowUnderscore)
    {
        if (part.IsEmpty)
        {
            return false;
        }

        foreach (var c in part)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' || (allowUnderscore && c == '_')))
            {
                return false;
            }
        }

        return true;
    }
}
