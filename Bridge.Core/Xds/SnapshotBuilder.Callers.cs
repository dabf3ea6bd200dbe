using Bridge.Core.Catalog;
using Bridge.Core.Catalog.Chains;
using Bridge.Core.Xds.Chains;
using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.Core.Xds;

/// <summary>
/// The clusters of calling services: a node that says which service it belongs to is served each cluster with its
/// service's <c>service-defaults</c> <c>UpstreamConfig</c> applied, as Consul shapes a sidecar's upstreams. The
/// settings for a cluster are those for the service whose instances it holds (<c>web</c>, <c>web~v2</c>,
/// <c>web@dc2</c> and <c>web~v2/failover</c> are all <c>web</c>'s).
/// </summary>
internal sealed partial class SnapshotBuilder
{
    private ImmutableDictionary<string, CallerClusters> _callers;

    /// <summary>
    /// Builds again the caller clusters that may differ: every one of a caller whose settings changed (all of them
    /// when <paramref name="changedCallers"/> is null), and for the others those whose shared cluster changed.
    /// </summary>
    private void ServeCallers(CatalogSnapshot catalog, IReadOnlySet<string>? changedCallers)
    {
        var settings = catalog.Routing.Callers;
        if (settings.IsEmpty && _callers.IsEmpty)
        {
            return;
        }

        var callers = _callers.ToBuilder();
        foreach (var (caller, clusters) in _callers.Where(kv => !settings.ContainsKey(kv.Key)))
        {
            ChangedNames(TypeUrls.Cluster).UnionWith(clusters.Envoy.Keys.Concat(clusters.Grpc.Keys));
            callers.Remove(caller);
        }

        var changedClusters = Changed.TryGetValue(TypeUrls.Cluster, out var changed) ? [.. changed] : Array.Empty<string>();
        foreach (var (caller, upstreams) in settings)
        {
            var all = changedCallers is null || changedCallers.Contains(caller);
            if (!all && changedClusters.Length == 0)
            {
                continue;
            }

            var served = callers.GetValueOrDefault(caller) ?? CallerClusters.Empty;
            foreach (var kind in Kinds)
            {
                var shared = _sets.GetValueOrDefault((kind, TypeUrls.Cluster)) ?? ResourceSet.Empty;
                var before = served.Of(kind);
                var now = before.ToBuilder();
                foreach (var name in all ? shared.ByName.Keys.Union(before.Keys) : changedClusters)
                {
                    var previous = before.GetValueOrDefault(name);
                    var variant = Variant(shared.ByName.GetValueOrDefault(name), upstreams.For(ChainClusterNames.Service(name)), previous, kind);
                    if (variant is null ? now.Remove(name) : previous?.Version != variant.Version)
                    {
                        ChangedNames(TypeUrls.Cluster).Add(name);
                    }

                    if (variant is not null)
                    {
                        now[name] = variant;
                    }
                }

                served = served.With(kind, now.ToImmutable());
            }

            if (served.IsEmpty)
            {
                callers.Remove(caller);
            }
            else
            {
                callers[caller] = served;
            }
        }

        _callers = callers.ToImmutable();
    }

    /// <summary>The shared cluster with <paramref name="policy"/> applied; null when there is nothing to apply or it changes nothing.</summary>
    private static XdsResource? Variant(XdsResource? shared, UpstreamPolicy? policy, XdsResource? previous, ClientKind kind)
    {
        if (shared is null || policy is null)
        {
            return null;
        }

        var cluster = ((Cluster)shared.Message).Clone();
        Apply(cluster, policy, kind);
        if (cluster.Equals(shared.Message))
        {
            return null;
        }

        return previous is not null && previous.Message.Equals(cluster) ? previous : XdsResource.Create(shared.Name, cluster);
    }

    /// <summary>
    /// Consul's rendering of upstream settings: the connect timeout on every cluster (an aggregate takes its first
    /// target's, as the chain gives it); limits as the default-priority circuit breaker thresholds and the passive
    /// health check as outlier detection on clusters that hold endpoints. A limit left unset keeps the proxy's default.
    /// </summary>
    internal static void Apply(Cluster cluster, UpstreamPolicy policy, ClientKind kind)
    {
        if (policy.ConnectTimeout is { } timeout)
        {
            cluster.ConnectTimeout = Duration.FromTimeSpan(timeout);
        }

        if (cluster.ClusterDiscoveryTypeCase != Cluster.ClusterDiscoveryTypeOneofCase.Type)
        {
            return;
        }

        if (policy.Limits is { } limits)
        {
            cluster.CircuitBreakers = new CircuitBreakers
            {
                Thresholds =
                {
                    new CircuitBreakers.Types.Thresholds
                    {
                        MaxConnections = (uint?)limits.MaxConnections,
                        MaxPendingRequests = (uint?)limits.MaxPendingRequests,
                        MaxRequests = (uint?)limits.MaxConcurrentRequests,
                    },
                },
            };
        }

        if (policy.PassiveHealthCheck is { } check)
        {
            // Consul sends MaxFailures even when 0 (its allowZero): in Envoy, 0 never reaches the count, so it ejects
            // on no streak of errors.
            cluster.OutlierDetection = ResourceTranslator.Outlier(
                new OutlierDetection
                {
                    Interval = check.Interval > TimeSpan.Zero ? Duration.FromTimeSpan(check.Interval) : null,
                    Consecutive5Xx = check.MaxFailures,
                    EnforcingConsecutive5Xx = check.EnforcingConsecutive5xx,
                    MaxEjectionPercent = check.MaxEjectionPercent,
                    BaseEjectionTime = check.BaseEjectionTime is { } ejection ? Duration.FromTimeSpan(ejection) : null,
                },
                kind);
        }
    }
}
