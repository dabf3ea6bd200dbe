using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.LoadTest.Fleet;

/// <summary>What one simulated proxy asks for.</summary>
/// <param name="Delta">Incremental (delta) ADS rather than state of the world.</param>
/// <param name="Scope">The services it declares in <c>bridge.services</c>; null for every service.</param>
/// <param name="StarWildcard">Subscribes to CDS and LDS with <c>*</c> rather than the legacy empty list.</param>
internal sealed record ProxyShape(bool Delta, int[]? Scope, bool StarWildcard);

/// <summary>
/// One simulated Envoy on one ADS stream, subscribing as Envoy does: wildcard CDS, then EDS for every cluster it is
/// given; wildcard LDS, then RDS for the route its listener names. Every assignment it receives goes to
/// <see cref="Propagation"/>. It is synced once it holds clusters, their assignments, the listener and the route.
/// </summary>
internal abstract class Proxy : IAsyncDisposable
{
    public const string ServicesMetadataKey = "bridge.services";

    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<string> _clusters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _assigned = new(StringComparer.Ordinal);
    private bool _hasListener;
    private bool _hasRoute;
    private long _responses;
    private long _bytes;
    private long _assignments;
    private long _deliveries;

    protected Proxy(int id, ProxyShape shape, SyntheticCatalog catalog, Propagation propagation)
    {
        Id = id;
        Shape = shape;
        Catalog = catalog;
        Propagation = propagation;
    }

    public int Id { get; }

    public ProxyShape Shape { get; }

    public StreamCursors Cursors { get; } = new();

    /// <summary>Completes once the proxy holds its clusters, their assignments, its listener and its route.</summary>
    public Task Synced => _synced.Task;

    public long Responses => Interlocked.Read(ref _responses);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Assignments (EDS resources) received.</summary>
    public long Assignments => Interlocked.Read(ref _assignments);

    /// <summary>Changes delivered to this stream.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    public int Clusters
    {
        get
        {
            lock (_clusters)
            {
                return _clusters.Count;
            }
        }
    }

    /// <summary>The stream's final status once it ended.</summary>
    public abstract Task<Status> Completion { get; }

    protected SyntheticCatalog Catalog { get; }

    protected Propagation Propagation { get; }

    /// <summary>The names of a wildcard CDS or LDS subscription: <c>*</c>, or the legacy empty list.</summary>
    protected string[] WildcardNames => Shape.StarWildcard ? ["*"] : [];

    /// <summary>Opens the stream and sends the first subscriptions; responses are then handled on a read loop.</summary>
    public abstract Task StartAsync(ChannelBase channel, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    /// <summary>The node an Envoy of this shape sends: kind envoy and, when scoped, the services it calls.</summary>
    protected Node BuildNode()
    {
        var node = new Node
        {
            Id = "load-" + Id.ToString("D5", CultureInfo.InvariantCulture),
            Cluster = "load",
            UserAgentName = "envoy",
            Metadata = new Struct { Fields = { ["bridge.client_kind"] = Value.ForString("envoy") } },
        };
        if (Shape.Scope is { } scope)
        {
            node.Metadata.Fields[ServicesMetadataKey] = Value.ForString(string.Join(',', scope.Select(Catalog.ServiceName)));
        }

        return node;
    }

    protected void CountResponse(IMessage response)
    {
        Interlocked.Increment(ref _responses);
        Interlocked.Add(ref _bytes, response.CalculateSize());
    }

    /// <summary>Replaces the cluster set (SotW CDS); returns whether it changed.</summary>
    protected bool SetClusters(IEnumerable<string> names)
    {
        lock (_clusters)
        {
            var next = new HashSet<string>(names, StringComparer.Ordinal);
            if (next.SetEquals(_clusters))
            {
                return false;
            }

            _clusters.Clear();
            _clusters.UnionWith(next);
            return true;
        }
    }

    /// <summary>Adds and removes clusters (delta CDS); returns the names added.</summary>
    protected List<string> UpdateClusters(IEnumerable<string> added, IEnumerable<string> removed)
    {
        var fresh = new List<string>();
        lock (_clusters)
        {
            foreach (var name in added)
            {
                if (_clusters.Add(name))
                {
                    fresh.Add(name);
                }
            }

            foreach (var name in removed)
            {
                _clusters.Remove(name);
            }
        }

        return fresh;
    }

    protected void OnAssignment(string name, ByteString body, long receivedAt)
    {
        Interlocked.Increment(ref _assignments);
        if (Catalog.TryGetService(name, out var service))
        {
            var delivered = Propagation.OnAssignment(Cursors, service, body, receivedAt);
            if (delivered > 0)
            {
                Interlocked.Add(ref _deliveries, delivered);
            }
        }

        if (!_synced.Task.IsCompleted)
        {
            _assigned.Add(name);
        }
    }

    protected void OnListener() => _hasListener = true;

    protected void OnRoute() => _hasRoute = true;

    /// <summary>Called after each response is handled.</summary>
    protected void CheckSynced()
    {
        if (_synced.Task.IsCompleted || !_hasListener || !_hasRoute)
        {
            return;
        }

        lock (_clusters)
        {
            if (_clusters.Count > 0 && _assigned.IsSupersetOf(_clusters))
            {
                _assigned.Clear();
                _synced.TrySetResult();
            }
        }
    }

    protected void FailSync(Status status) =>
        _synced.TrySetException(new RpcException(status, $"stream of proxy {Id} ended before it synced: {status.StatusCode} {status.Detail}"));
}
