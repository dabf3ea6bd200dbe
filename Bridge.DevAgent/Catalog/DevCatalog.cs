using System.Collections.Immutable;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bridge.DevAgent.Http;
using Microsoft.Extensions.Logging;

namespace Bridge.DevAgent.Catalog;

/// <summary>
/// The dev agent's in-memory catalog. Thread-safe; every method mirrors one of Consul's HTTP writes
/// and follows the same index rules, so a blocking query sees a C# write exactly as it would see the
/// HTTP one. Failures throw <see cref="DevAgentException"/> with Consul's status and body.
/// </summary>
public sealed partial class DevCatalog
{
    internal const string SerfHealthCheckId = "serfHealth";
    internal const string NodeMaintenanceCheckId = "_node_maintenance";
    internal const string ServiceMaintenancePrefix = "_service_maintenance:";

    /// <summary>The Consul version the agent presents itself as.</summary>
    internal const string ConsulVersion = "1.21.0";

    // Consul truncates check output beyond its buffer size (agent/checks.BufSize).
    private const int CheckOutputLimit = 4096;

    private const string DefaultServiceMaintenanceReason =
        "Maintenance mode is enabled for this service, but no reason was provided. This is a default message.";

    private const string DefaultNodeMaintenanceReason =
        "Maintenance mode is enabled for this node, but no reason was provided. This is a default message.";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ITimer> _ttlTimers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private CatalogState _state = CatalogState.Empty;
    private bool _disposed;

    internal DevCatalog(DevAgentOptions options, TimeProvider time, ILogger logger)
    {
        Datacenter = options.Datacenter;
        NodeName = options.NodeName;
        NodeAddress = options.NodeAddress;
        _time = time;
        _logger = logger;
        Bootstrap();
    }

    /// <summary>The last write's index (Consul's Raft index).</summary>
    public ulong Index => State.Index;

    /// <summary>The agent's own node, home of agent-registered services.</summary>
    public string NodeName { get; }

    internal string Datacenter { get; }

    internal string NodeAddress { get; }

    internal CatalogState State => Volatile.Read(ref _state);

    internal ChangeSignals Signals { get; } = new();

    /// <summary>Registers a service on the agent's node, as <c>PUT /v1/agent/service/register</c>.</summary>
    /// <param name="registration">The service and its checks.</param>
    /// <param name="replaceExistingChecks">Remove the instance's checks that the registration no longer lists.</param>
    public void RegisterAgentService(AgentServiceRegistration registration, bool replaceExistingChecks = false)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var service = AgentRegistrations.ToService(registration);
        var checks = AgentRegistrations.ToChecks(registration, service, NodeName);
        lock (_gate)
        {
            WriteLocked(tx =>
            {
                tx.EnsureService(NodeName, service);
                var node = tx.Node(NodeName)!;
                if (replaceExistingChecks)
                {
                    foreach (var stale in node.Checks.Values)
                    {
                        if (stale.ServiceId == service.Id
                            && !stale.CheckId.StartsWith(ServiceMaintenancePrefix, StringComparison.Ordinal)
                            && checks.All(c => c.CheckId != stale.CheckId))
                        {
                            tx.DeleteCheck(NodeName, stale.CheckId);
                        }
                    }
                }

                foreach (var check in checks)
                {
                    // Re-registration keeps a check's current state, as the agent restores it from its snapshot.
                    var current = node.Checks.GetValueOrDefault(check.CheckId);
                    tx.EnsureCheck(current is null ? check : check with { Status = current.Status, Output = current.Output });
                }
            });

            foreach (var check in checks)
            {
                ArmTtl(check.CheckId, check.Ttl);
            }

            DisarmMissingTtls();
        }
    }

    /// <summary>Removes an agent service and its checks, as <c>PUT /v1/agent/service/deregister/&lt;id&gt;</c>; a no-op when absent.</summary>
    /// <param name="serviceId">Instance ID.</param>
    public void DeregisterAgentService(string serviceId)
    {
        ArgumentNullException.ThrowIfNull(serviceId);
        Write(tx => tx.DeleteService(NodeName, serviceId));
    }

    /// <summary>Writes a node, service and checks on any node, as <c>PUT /v1/catalog/register</c>.</summary>
    /// <param name="registration">The registration.</param>
    public void RegisterCatalogEntry(CatalogRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        RequireLocalDatacenter(registration.Datacenter);
        var nodeName = registration.Node;
        if (string.IsNullOrEmpty(nodeName))
        {
            throw new DevAgentException(500, ConsulErrors.MissingNode);
        }

        if (string.IsNullOrEmpty(registration.Address) && !registration.SkipNodeUpdate)
        {
            throw new DevAgentException(500, ConsulErrors.MissingNodeAddress);
        }

        var service = registration.Service is null ? null : CatalogRegistrations.ToService(registration.Service);
        var checks = CatalogRegistrations.ToChecks(registration, nodeName);
        Write(tx =>
        {
            if (!registration.SkipNodeUpdate || tx.Node(nodeName) is null)
            {
                if (string.IsNullOrEmpty(registration.Address))
                {
                    throw new DevAgentException(500, ConsulErrors.MissingNodeRegistration);
                }

                tx.EnsureNode(new NodeRecord
                {
                    Id = registration.Id ?? string.Empty,
                    Node = nodeName,
                    Address = registration.Address,
                    Datacenter = Datacenter,
                    TaggedAddresses = registration.TaggedAddresses,
                    Meta = registration.NodeMeta,
                });
            }

            if (service is not null)
            {
                tx.EnsureService(nodeName, service);
            }

            foreach (var check in checks)
            {
                tx.EnsureCheck(check);
            }
        });
    }

    /// <summary>Removes a node, a service instance or a check, as <c>PUT /v1/catalog/deregister</c>.</summary>
    /// <param name="deregistration">What to remove.</param>
    public void DeregisterCatalogEntry(CatalogDeregistration deregistration)
    {
        ArgumentNullException.ThrowIfNull(deregistration);
        RequireLocalDatacenter(deregistration.Datacenter);
        var nodeName = deregistration.Node;
        if (string.IsNullOrEmpty(nodeName))
        {
            throw new DevAgentException(500, ConsulErrors.MissingNode);
        }

        Write(tx =>
        {
            if (!string.IsNullOrEmpty(deregistration.ServiceId))
            {
                tx.DeleteService(nodeName, deregistration.ServiceId);
            }
            else if (!string.IsNullOrEmpty(deregistration.CheckId))
            {
                tx.DeleteCheck(nodeName, deregistration.CheckId);
            }
            else
            {
                tx.DeleteNode(nodeName);
            }
        });
    }

    /// <summary>
    /// Sets a check's status and output, as the TTL endpoints <c>/v1/agent/check/pass|warn|fail</c> do with
    /// <c>?note=</c>. Unlike those endpoints it accepts any check, on any node, TTL or not.
    /// </summary>
    /// <param name="checkId">Check ID.</param>
    /// <param name="status">New status.</param>
    /// <param name="output">New output (the endpoints' <c>note</c>).</param>
    /// <param name="node">Node of the check; the agent's node when null.</param>
    public void SetCheckStatus(string checkId, CheckStatus status, string? output = null, string? node = null)
    {
        ArgumentNullException.ThrowIfNull(checkId);
        UpdateCheck(node ?? NodeName, checkId, status.ToConsul(), output ?? string.Empty, requireTtl: false);
    }

    /// <summary>Puts an agent service into maintenance (a critical <c>_service_maintenance:&lt;id&gt;</c> check) or takes it out.</summary>
    /// <param name="serviceId">Instance ID on the agent's node.</param>
    /// <param name="enable">On or off; repeating either is a no-op.</param>
    /// <param name="reason">Goes into the check's notes; Consul's default text when empty.</param>
    public void SetServiceMaintenance(string serviceId, bool enable, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(serviceId);
        Write(tx =>
        {
            var node = tx.Node(NodeName);
            if (node is null || !node.Services.TryGetValue(serviceId, out var service))
            {
                throw new DevAgentException(404, ConsulErrors.UnknownServiceId(serviceId));
            }

            var checkId = ServiceMaintenancePrefix + serviceId;
            if (!enable)
            {
                tx.DeleteCheck(NodeName, checkId);
            }
            else if (!node.Checks.ContainsKey(checkId))
            {
                tx.EnsureCheck(new CheckRecord
                {
                    Node = NodeName,
                    CheckId = checkId,
                    Name = "Service Maintenance Mode",
                    Status = CheckStatuses.Critical,
                    Notes = string.IsNullOrEmpty(reason) ? DefaultServiceMaintenanceReason : reason,
                    ServiceId = service.Id,
                    Type = "maintenance",
                });
            }
        });
    }

    /// <summary>Puts the agent's node into maintenance (a critical <c>_node_maintenance</c> check) or takes it out.</summary>
    /// <param name="enable">On or off; repeating either is a no-op.</param>
    /// <param name="reason">Goes into the check's notes; Consul's default text when empty.</param>
    public void SetNodeMaintenance(bool enable, string? reason = null) => Write(tx =>
    {
        if (!enable)
        {
            tx.DeleteCheck(NodeName, NodeMaintenanceCheckId);
        }
        else if (tx.Node(NodeName) is { } node && !node.Checks.ContainsKey(NodeMaintenanceCheckId))
        {
            tx.EnsureCheck(new CheckRecord
            {
                Node = NodeName,
                CheckId = NodeMaintenanceCheckId,
                Name = "Node Maintenance Mode",
                Status = CheckStatuses.Critical,
                Notes = string.IsNullOrEmpty(reason) ? DefaultNodeMaintenanceReason : reason,
                Type = "maintenance",
            });
        }
    });

    /// <summary>
    /// Simulates a snapshot restore: the data stays, every index above <paramref name="to"/> drops to it,
    /// and every blocking query returns at once with the new, lower index, as Consul's do when the
    /// state store they watch is abandoned.
    /// </summary>
    /// <param name="to">The restored Raft index.</param>
    public void ResetIndex(ulong to)
    {
        lock (_gate)
        {
            var state = _state;
            var nodes = state.Nodes.ToBuilder();
            foreach (var (name, entry) in state.Nodes)
            {
                nodes[name] = new NodeEntry(
                    Clamp(entry.Node, to),
                    entry.Services.ToImmutableSortedDictionary(p => p.Key, p => Clamp(p.Value, to), StringComparer.Ordinal),
                    entry.Checks.ToImmutableSortedDictionary(p => p.Key, p => Clamp(p.Value, to), StringComparer.Ordinal));
            }

            Volatile.Write(ref _state, state with
            {
                Index = to,
                NodesIndex = Math.Min(state.NodesIndex, to),
                ServicesIndex = Math.Min(state.ServicesIndex, to),
                ChecksIndex = Math.Min(state.ChecksIndex, to),
                ExtinctionIndex = Math.Min(state.ExtinctionIndex, to),
                ServiceIndexes = state.ServiceIndexes.ToImmutableDictionary(p => p.Key, p => Math.Min(p.Value, to), StringComparer.Ordinal),
                Nodes = nodes.ToImmutable(),
            });
        }

        Log.IndexReset(_logger, to);
        Signals.Abandon();
    }

    /// <summary>
    /// Moves a service's index (and the services table's) without touching its entries, so a blocked
    /// watcher returns a new index with a byte-identical body, as an idempotent write did on Consul
    /// servers before 1.4.
    /// </summary>
    /// <param name="serviceName">Service name.</param>
    /// <returns>False when the service has no instances.</returns>
    public bool TouchService(string serviceName)
    {
        ArgumentNullException.ThrowIfNull(serviceName);
        return Write(tx => tx.BumpService(serviceName));
    }

    /// <summary>Stops the TTL timers; the owning server calls it when it stops.</summary>
    internal void StopTimers()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var timer in _ttlTimers.Values)
            {
                timer.Dispose();
            }

            _ttlTimers.Clear();
        }
    }

    /// <summary>The agent TTL update (<c>/v1/agent/check/pass|warn|fail|update</c>): agent node only, TTL checks only.</summary>
    internal void UpdateTtlCheck(string checkId, string status, string output) =>
        UpdateCheck(NodeName, checkId, status, output, requireTtl: true);

    internal void RequireLocalDatacenter(string? datacenter)
    {
        if (!string.IsNullOrEmpty(datacenter) && datacenter != Datacenter)
        {
            throw new DevAgentException(500, ConsulErrors.NoPathToDatacenter);
        }
    }

    private void UpdateCheck(string node, string checkId, string status, string output, bool requireTtl)
    {
        lock (_gate)
        {
            if (!_state.TryGetCheck(node, checkId, out var check))
            {
                throw new DevAgentException(404, ConsulErrors.UnknownCheckId(checkId));
            }

            if (requireTtl && check.Ttl is null)
            {
                throw new DevAgentException(500, ConsulErrors.NoTtl(checkId));
            }

            WriteLocked(tx => tx.EnsureCheck(check with { Status = status, Output = TruncateOutput(output) }));

            // Every TTL update restarts the clock, even one that changes nothing.
            if (node == NodeName)
            {
                ArmTtl(checkId, check.Ttl);
            }
        }
    }

    private void OnTtlExpired(string checkId)
    {
        lock (_gate)
        {
            if (_disposed || !_state.TryGetCheck(NodeName, checkId, out var check) || check.Ttl is null)
            {
                return;
            }

            var output = check.Output.Length == 0
                ? "TTL expired"
                : "TTL expired (last output before timeout follows): " + check.Output;
            WriteLocked(tx => tx.EnsureCheck(check with { Status = CheckStatuses.Critical, Output = output }));
            Log.TtlExpired(_logger, checkId);
        }
    }

    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    // Caller holds _gate.
    private void ArmTtl(string checkId, TimeSpan? ttl)
    {
        if (_disposed)
        {
            return;
        }

        if (ttl is not { } period || !_state.TryGetCheck(NodeName, checkId, out _))
        {
            if (_ttlTimers.Remove(checkId, out var stale))
            {
                stale.Dispose();
            }

            return;
        }

        // Timers cannot wait longer than about 49 days; a TTL beyond that (Consul accepts 8760h) never expires here.
        if (period > MaxTimerDelay)
        {
            if (_ttlTimers.Remove(checkId, out var unneeded))
            {
                unneeded.Dispose();
            }

            return;
        }

        if (_ttlTimers.TryGetValue(checkId, out var timer))
        {
            timer.Change(period, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _ttlTimers[checkId] = _time.CreateTimer(
                static s => ((ExpiryState)s!).Catalog.OnTtlExpired(((ExpiryState)s!).CheckId),
                new ExpiryState(this, checkId),
                period,
                Timeout.InfiniteTimeSpan);
        }
    }

    private void Write(Action<CatalogTransaction> change) => Write(tx =>
    {
        change(tx);
        return true;
    });

    private T Write<T>(Func<CatalogTransaction, T> change)
    {
        T result;
        lock (_gate)
        {
            result = WriteLocked(change);
            DisarmMissingTtls();
        }

        return result;
    }

    // Caller holds _gate. A throwing change leaves the state untouched: the transaction is dropped.
    private T WriteLocked<T>(Func<CatalogTransaction, T> change)
    {
        var tx = new CatalogTransaction(_state);
        var result = change(tx);
        if (tx.Changed)
        {
            Volatile.Write(ref _state, tx.Commit());
            Signals.Notify(tx.Scopes);
        }

        return result;
    }

    private void WriteLocked(Action<CatalogTransaction> change) => WriteLocked(tx =>
    {
        change(tx);
        return true;
    });

    // Caller holds _gate. Drops timers of checks a write removed.
    private void DisarmMissingTtls()
    {
        if (_ttlTimers.Count == 0)
        {
            return;
        }

        foreach (var checkId in _ttlTimers.Keys.ToList())
        {
            if (!_state.TryGetCheck(NodeName, checkId, out var check) || check.Ttl is null)
            {
                _ttlTimers.Remove(checkId, out var timer);
                timer!.Dispose();
            }
        }
    }

    private void Bootstrap() => Write(tx =>
    {
        tx.EnsureNode(new NodeRecord
        {
            Id = NodeIdFor(NodeName),
            Node = NodeName,
            Address = NodeAddress,
            Datacenter = Datacenter,
            TaggedAddresses = TaggedAddressesFor(NodeAddress),
            Meta = new Dictionary<string, string>(StringComparer.Ordinal) { ["consul-network-segment"] = string.Empty },
        });
        tx.EnsureCheck(new CheckRecord
        {
            Node = NodeName,
            CheckId = SerfHealthCheckId,
            Name = "Serf Health Status",
            Status = CheckStatuses.Passing,
            Output = "Agent alive and reachable",
        });

        // Every server registers itself as the "consul" service, so catalogs always list it.
        tx.EnsureService(NodeName, new ServiceRecord
        {
            Id = "consul",
            Service = "consul",
            Tags = [],
            Address = string.Empty,
            Meta = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["non_voter"] = "false",
                ["raft_version"] = "3",
                ["read_replica"] = "false",
                ["serf_protocol_current"] = "2",
                ["serf_protocol_max"] = "5",
                ["serf_protocol_min"] = "1",
                ["version"] = ConsulVersion,
            },
            Port = 8300,
            Weights = ServiceWeights.Default,
        });
    });

    private static Dictionary<string, string> TaggedAddressesFor(string address)
    {
        var family = IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? "ipv6"
            : "ipv4";
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["lan"] = address,
            ["lan_" + family] = address,
            ["wan"] = address,
            ["wan_" + family] = address,
        };
    }

    // Stable across restarts, so a restarted agent looks like the same node.
    private static string NodeIdFor(string nodeName)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(nodeName));
        return new Guid(hash.AsSpan(0, 16)).ToString("D");
    }

    private static string TruncateOutput(string output) =>
        output.Length <= CheckOutputLimit
            ? output
            : $"{output[..CheckOutputLimit]} ... (captured {CheckOutputLimit} of {output.Length} bytes)";

    private static NodeRecord Clamp(NodeRecord r, ulong to) =>
        r with { CreateIndex = Math.Min(r.CreateIndex, to), ModifyIndex = Math.Min(r.ModifyIndex, to) };

    private static ServiceRecord Clamp(ServiceRecord r, ulong to) =>
        r with { CreateIndex = Math.Min(r.CreateIndex, to), ModifyIndex = Math.Min(r.ModifyIndex, to) };

    private static CheckRecord Clamp(CheckRecord r, ulong to) =>
        r with { CreateIndex = Math.Min(r.CreateIndex, to), ModifyIndex = Math.Min(r.ModifyIndex, to) };

    private sealed record ExpiryState(DevCatalog Catalog, string CheckId);

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Catalog index reset to {Index}; blocking queries released")]
        public static partial void IndexReset(ILogger logger, ulong index);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "TTL expired for check {CheckId}; marked critical")]
        public static partial void TtlExpired(ILogger logger, string checkId);
    }
}
