using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Datacenters;
using Bridge.DevAgent.Http;

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

    /// <summary>How many past states are kept for stale reads that lag behind the leader.</summary>
    internal const int HistoryDepth = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ITimer> _ttlTimers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Queue<CatalogState> _history = new();
    private CatalogState _state = CatalogState.Empty;
    private IReadOnlyList<CatalogState> _historyView = [];
    private bool _disposed;

    internal DevCatalog(DevAgentOptions options, TimeProvider time, ILogger logger, Federation federation)
    {
        Federation = federation;
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

    /// <summary>The datacenter this catalog is the state of.</summary>
    public string Datacenter { get; }

    /// <summary>The datacenters this agent serves; routes writes aimed at another one.</summary>
    internal Federation Federation { get; }

    internal string NodeAddress { get; }

    internal CatalogState State => Volatile.Read(ref _state);

    internal ChangeSignals Signals { get; } = new();

    /// <summary>Registers a service on the agent's node, as <c>PUT /v1/agent/service/register</c>.</summary>
    /// <param name="registration">The service and its checks.</param>
    /// <param name="replaceExistingChecks">Remove the instance's checks that the registration no longer lists.</param>
    /// <exception cref="DevAgentException">Consul would refuse the registration; the status and text are Consul's.</exception>
    public void RegisterAgentService(AgentServiceRegistration registration, bool replaceExistingChecks = false) =>
        RegisterAgentService(registration, replaceExistingChecks, Authorizer.AllowAll);

    internal void RegisterAgentService(AgentServiceRegistration registration, bool replaceExistingChecks, Authorizer authz)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var service = AgentRegistrations.ToService(registration);
        var checks = AgentRegistrations.ToChecks(registration, service, NodeName);
        lock (_gate)
        {
            // vetServiceRegisterWithAuthorizer: write on the service, and on any service the ID now names.
            authz.RequireServiceWrite(service.Service);
            if (_state.Nodes.TryGetValue(NodeName, out var own) && own.Services.TryGetValue(service.Id, out var replaced))
            {
                authz.RequireServiceWrite(replaced.Service);
            }

            AgentRegistrations.CheckTaggedAddresses(registration);
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
    public void DeregisterAgentService(string serviceId) => DeregisterAgentService(serviceId, Authorizer.AllowAll);

    internal void DeregisterAgentService(string serviceId, Authorizer authz)
    {
        ArgumentNullException.ThrowIfNull(serviceId);
        Write(tx =>
        {
            if (tx.Node(NodeName)?.Services.GetValueOrDefault(serviceId) is { } existing)
            {
                authz.RequireServiceWrite(existing.Service);
            }

            return tx.DeleteService(NodeName, serviceId);
        });
    }

    /// <summary>Writes a node, service and checks on any node, as <c>PUT /v1/catalog/register</c>.</summary>
    /// <param name="registration">The registration.</param>
    /// <exception cref="DevAgentException">Consul would refuse the registration; the status and text are Consul's.</exception>
    public void RegisterCatalogEntry(CatalogRegistration registration) => RegisterCatalogEntry(registration, Authorizer.AllowAll);

    /// <summary>Catalog.Register's checks in its order: node (nodePreApply), address, service (servicePreApply), then the ACL vetting.</summary>
    internal void RegisterCatalogEntry(CatalogRegistration registration, Authorizer authz)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (IsOtherDatacenter(registration.Datacenter))
        {
            // Catalog.Register forwards to the datacenter the body names.
            Federation.Route(registration.Datacenter!).RegisterCatalogEntry(registration, authz);
            return;
        }

        var nodeName = registration.Node;
        if (string.IsNullOrEmpty(nodeName))
        {
            throw new DevAgentException(500, ConsulErrors.MissingNode);
        }

        if (!string.IsNullOrEmpty(registration.Id) && GoUuid.Problem(registration.Id) is { } badId)
        {
            throw new DevAgentException(500, "Bad node ID: " + badId);
        }

        if (string.IsNullOrEmpty(registration.Address) && !registration.SkipNodeUpdate)
        {
            throw new DevAgentException(500, ConsulErrors.MissingNodeAddress);
        }

        var service = registration.Service is null ? null : CatalogRegistrations.ToService(registration.Service);

        // The "consul" service is managed by the servers themselves and exempt here (vetRegisterWithACL still asks).
        if (service is not null && service.Service != "consul")
        {
            authz.RequireServiceWrite(service.Service);
        }

        var checks = CatalogRegistrations.ToChecks(registration, nodeName);
        Write(tx =>
        {
            VetCatalogRegister(tx.Node(nodeName), registration, service, checks, authz);
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
    public void DeregisterCatalogEntry(CatalogDeregistration deregistration) => DeregisterCatalogEntry(deregistration, Authorizer.AllowAll);

    internal void DeregisterCatalogEntry(CatalogDeregistration deregistration, Authorizer authz)
    {
        ArgumentNullException.ThrowIfNull(deregistration);
        if (IsOtherDatacenter(deregistration.Datacenter))
        {
            Federation.Route(deregistration.Datacenter!).DeregisterCatalogEntry(deregistration, authz);
            return;
        }

        var nodeName = deregistration.Node;
        if (string.IsNullOrEmpty(nodeName))
        {
            throw new DevAgentException(500, ConsulErrors.MissingNode);
        }

        Write(tx =>
        {
            VetCatalogDeregister(tx.Node(nodeName), deregistration, authz);
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
        UpdateCheck(node ?? NodeName, checkId, status.ToConsul(), output ?? string.Empty, requireTtl: false, Authorizer.AllowAll);
    }

    /// <summary>Puts an agent service into maintenance (a critical <c>_service_maintenance:&lt;id&gt;</c> check) or takes it out.</summary>
    /// <param name="serviceId">Instance ID on the agent's node.</param>
    /// <param name="enable">On or off; repeating either is a no-op.</param>
    /// <param name="reason">Goes into the check's notes; Consul's default text when empty.</param>
    public void SetServiceMaintenance(string serviceId, bool enable, string? reason = null) =>
        SetServiceMaintenance(serviceId, enable, reason, Authorizer.AllowAll);

    internal void SetServiceMaintenance(string serviceId, bool enable, string? reason, Authorizer authz)
    {
        ArgumentNullException.ThrowIfNull(serviceId);
        Write(tx =>
        {
            var node = tx.Node(NodeName);
            if (node is null || !node.Services.TryGetValue(serviceId, out var service))
            {
                throw new DevAgentException(404, ConsulErrors.UnknownServiceId(serviceId));
            }

            authz.RequireServiceWrite(service.Service);

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
    public void SetNodeMaintenance(bool enable, string? reason = null) => SetNodeMaintenance(enable, reason, Authorizer.AllowAll);

    internal void SetNodeMaintenance(bool enable, string? reason, Authorizer authz) => Write(tx =>
    {
        authz.RequireNodeWrite(NodeName);
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
                ConfigEntriesIndex = Math.Min(state.ConfigEntriesIndex, to),
                ConfigEntries = state.ConfigEntries.ToImmutableSortedDictionary(
                    p => p.Key,
                    p => p.Value with { CreateIndex = Math.Min(p.Value.CreateIndex, to), ModifyIndex = Math.Min(p.Value.ModifyIndex, to) }),
            });
            ClearHistoryLocked();
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

    /// <summary>
    /// The catalog of a cluster rebuilt from scratch: every service, check and node is gone except the agent's own
    /// node with its <c>serfHealth</c> check and the servers' <c>consul</c> service, written again into an empty store,
    /// so indexes restart as low as a new agent's. Agent services go too, with their TTL timers, and config entries:
    /// a wiped primary's secondaries replicate their removal, a wiped secondary replicates them back from the primary.
    /// Every blocking query returns at once with the new, low index. ACL tokens are the agent's settings and stay.
    /// </summary>
    /// <returns>The new last index.</returns>
    public ulong Wipe()
    {
        ulong index;
        lock (_gate)
        {
            foreach (var timer in _ttlTimers.Values)
            {
                timer.Dispose();
            }

            _ttlTimers.Clear();
            Volatile.Write(ref _state, CatalogState.Empty);
            ClearHistoryLocked();
            WriteLocked(BootstrapTransaction);
            index = _state.Index;
        }

        Log.Wiped(_logger, index);
        Signals.Abandon();

        // A rebuilt primary has no config entries left to replicate; a rebuilt secondary gets them back from the primary.
        Federation.ReplicateConfigEntries();
        return Index;
    }

    /// <summary>
    /// The state as it was <paramref name="writesAgo"/> writes before the current one (0 = now), as a follower that
    /// lags behind the leader serves it; the oldest state kept when fewer writes have happened since the catalog
    /// was created, wiped or reset.
    /// </summary>
    internal CatalogState StateWritesAgo(int writesAgo)
    {
        if (writesAgo <= 0)
        {
            return State;
        }

        var history = Volatile.Read(ref _historyView);
        return history.Count == 0 ? State : history[Math.Max(0, history.Count - writesAgo)];
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
    internal void UpdateTtlCheck(string checkId, string status, string output, Authorizer authz) =>
        UpdateCheck(NodeName, checkId, status, output, requireTtl: true, authz);

    private bool IsOtherDatacenter(string? datacenter) => !string.IsNullOrEmpty(datacenter) && datacenter != Datacenter;

    private void UpdateCheck(string node, string checkId, string status, string output, bool requireTtl, Authorizer authz)
    {
        lock (_gate)
        {
            if (!_state.TryGetCheck(node, checkId, out var check))
            {
                throw new DevAgentException(404, ConsulErrors.UnknownCheckId(checkId));
            }

            // vetCheckUpdateWithAuthorizer: a service check needs write on its service, a node check on the node.
            if (check.IsNodeCheck)
            {
                authz.RequireNodeWrite(node);
            }
            else
            {
                authz.RequireServiceWrite(check.ServiceName);
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
            RememberLocked(_state);
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

    // Caller holds _gate. Readers take the list without locking, so it is rebuilt rather than changed.
    private void RememberLocked(CatalogState previous)
    {
        _history.Enqueue(previous);
        if (_history.Count > HistoryDepth)
        {
            _history.Dequeue();
        }

        Volatile.Write(ref _historyView, [.. _history]);
    }

    private void ClearHistoryLocked()
    {
        _history.Clear();
        Volatile.Write(ref _historyView, []);
    }

    /// <summary>vetRegisterWithACL (agent/consul/catalog_endpoint.go), against the node as it is now.</summary>
    private static void VetCatalogRegister(NodeEntry? existing, CatalogRegistration registration, ServiceRecord? service, IReadOnlyList<CheckRecord> checks, Authorizer authz)
    {
        var nodeName = registration.Node!;
        if (ChangesNode(existing?.Node, registration))
        {
            authz.RequireNodeWrite(nodeName);
        }

        if (service is not null)
        {
            authz.RequireServiceWrite(service.Service);
            if (existing?.Services.GetValueOrDefault(service.Id) is { } replaced && !authz.ServiceWrite(replaced.Service))
            {
                // Consul returns the bare error here, without naming the token or the service.
                throw new DevAgentException(403, ConsulErrors.PermissionDenied);
            }
        }

        foreach (var check in checks)
        {
            if (check.IsNodeCheck)
            {
                authz.RequireNodeWrite(nodeName);
            }
            else if (service?.Id != check.ServiceId)
            {
                var other = existing?.Services.GetValueOrDefault(check.ServiceId)
                    ?? throw new DevAgentException(500, $"Unknown service ID '{check.ServiceId}' for check ID '{check.CheckId}'");
                authz.RequireServiceWrite(other.Service);
            }
        }
    }

    /// <summary>RegisterRequest.ChangesNode: whether the write touches the node's own fields.</summary>
    private static bool ChangesNode(NodeRecord? node, CatalogRegistration registration) =>
        node is null
        || (!registration.SkipNodeUpdate
            && ((registration.Id ?? string.Empty) != node.Id
                || registration.Address != node.Address
                || !Equality.Maps(registration.TaggedAddresses, node.TaggedAddresses)
                || !Equality.Maps(registration.NodeMeta, node.Meta)));

    /// <summary>vetDeregisterWithACL: node write allows anything; otherwise the target's own permission.</summary>
    private static void VetCatalogDeregister(NodeEntry? node, CatalogDeregistration deregistration, Authorizer authz)
    {
        var nodeName = deregistration.Node!;
        if (authz.NodeWrite(nodeName))
        {
            return;
        }

        if (!string.IsNullOrEmpty(deregistration.ServiceId))
        {
            var service = node?.Services.GetValueOrDefault(deregistration.ServiceId)
                ?? throw new DevAgentException(500, $"Unknown service ID '{deregistration.ServiceId}'");
            authz.RequireServiceWrite(service.Service);
        }
        else if (!string.IsNullOrEmpty(deregistration.CheckId))
        {
            var check = node?.Checks.GetValueOrDefault(deregistration.CheckId)
                ?? throw new DevAgentException(500, $"Unknown check ID '{deregistration.CheckId}'");
            if (check.IsNodeCheck)
            {
                authz.RequireNodeWrite(nodeName);
            }
            else
            {
                authz.RequireServiceWrite(check.ServiceName);
            }
        }
        else
        {
            authz.RequireNodeWrite(nodeName);
        }
    }

    private void Bootstrap() => Write(BootstrapTransaction);

    private bool BootstrapTransaction(CatalogTransaction tx)
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
        return true;
    }

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

        [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Catalog wiped as by a cluster rebuilt from scratch; index now {Index}, blocking queries released")]
        public static partial void Wiped(ILogger logger, ulong index);
    }
}
