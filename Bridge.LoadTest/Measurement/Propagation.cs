using System.Collections.Concurrent;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;

namespace Bridge.LoadTest.Measurement;

/// <summary>
/// Matches the assignments streams receive against the changes churn made, by content: an assignment carries a
/// change when the changed instance shows the port (or absence) the change gave it. The bridge always serves a
/// service's latest state, so an assignment reflects a prefix of that service's changes; the latest change it
/// visibly carries therefore also delivers every earlier one the stream had not seen yet.
/// </summary>
/// <remarks>
/// Matching needs no decoding unless a stream has changes outstanding for the service, and a given assignment's
/// bytes are decoded once however many streams receive them. Churn never changes an instance twice within its
/// cool-down, so no stream ever has two changes of one instance outstanding and a state cannot be mistaken for
/// an older one.
/// </remarks>
internal sealed class Propagation
{
    private const int MaxCachedViews = 20_000;

    private readonly SyntheticCatalog _catalog;
    private readonly ChangeLog _log;
    private readonly ConcurrentDictionary<ByteString, AssignmentView> _views = new();
    private LatencySink _sink = new();
    private long _decodes;

    public Propagation(SyntheticCatalog catalog, ChangeLog log)
    {
        _catalog = catalog;
        _log = log;
    }

    public ChangeLog Log => _log;

    /// <summary>Where deliveries go; swapped between the phases of a run.</summary>
    public LatencySink Sink
    {
        get => Volatile.Read(ref _sink);
        set => Volatile.Write(ref _sink, value);
    }

    /// <summary>Distinct assignment bodies decoded so far.</summary>
    public long Decodes => Interlocked.Read(ref _decodes);

    /// <summary>
    /// A stream received <paramref name="body"/> (a serialised ClusterLoadAssignment of <paramref name="service"/>) at
    /// <paramref name="receivedAt"/>: records a delivery for every outstanding change it carries.
    /// </summary>
    /// <returns>How many changes this assignment delivered to the stream.</returns>
    public int OnAssignment(StreamCursors cursors, int service, ByteString body, long receivedAt)
    {
        var count = _log.Count(service);
        var seen = cursors.Get(service);
        if (seen >= count)
        {
            return 0;
        }

        var view = View(body);
        var carried = seen;
        for (var j = count - 1; j >= seen; j--)
        {
            var change = _log.Get(service, j);
            if (view.PortOf(_catalog.AddressOf(service, change.Instance)) == change.TargetPort)
            {
                carried = j + 1;
                break;
            }
        }

        if (carried == seen)
        {
            return 0;
        }

        var sink = Sink;
        for (var j = seen; j < carried; j++)
        {
            var change = _log.Get(service, j);
            sink.Add(change.Seq, Stopwatch.GetElapsedTime(change.Timestamp, receivedAt).TotalMilliseconds);
        }

        cursors.Set(service, carried);
        return carried - seen;
    }

    private AssignmentView View(ByteString body)
    {
        if (_views.TryGetValue(body, out var view))
        {
            return view;
        }

        if (_views.Count > MaxCachedViews)
        {
            _views.Clear();
        }

        Interlocked.Increment(ref _decodes);
        view = AssignmentView.Decode(body);
        _views.TryAdd(body, view);
        return view;
    }
}

/// <summary>The healthy endpoints of one assignment: address to port. Unhealthy endpoints count as absent.</summary>
internal sealed class AssignmentView
{
    private readonly Dictionary<string, int> _ports;

    private AssignmentView(Dictionary<string, int> ports) => _ports = ports;

    public int PortOf(string address) => _ports.TryGetValue(address, out var port) ? port : Change.Absent;

    public static AssignmentView Decode(ByteString body)
    {
        var assignment = ClusterLoadAssignment.Parser.ParseFrom(body);
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var locality in assignment.Endpoints)
        {
            foreach (var endpoint in locality.LbEndpoints)
            {
                if (endpoint.HealthStatus is HealthStatus.Unknown or HealthStatus.Healthy
                    && endpoint.Endpoint?.Address?.SocketAddress is { } socket)
                {
                    ports[socket.Address] = (int)socket.PortValue;
                }
            }
        }

        return new AssignmentView(ports);
    }
}

/// <summary>
/// Per stream, per service: how many of the service's changes the stream has received. Touched by the stream's
/// read loop and, at the end of a run, by the completeness check.
/// </summary>
internal sealed class StreamCursors
{
    private readonly Dictionary<int, int> _seen = [];

    public int Get(int service)
    {
        lock (_seen)
        {
            return _seen.GetValueOrDefault(service);
        }
    }

    public void Set(int service, int count)
    {
        lock (_seen)
        {
            _seen[service] = count;
        }
    }
}
