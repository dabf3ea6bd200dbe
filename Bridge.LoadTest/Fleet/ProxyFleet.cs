using Grpc.Net.Client;

namespace Bridge.LoadTest.Fleet;

/// <summary>Totals over every stream of a fleet at one moment.</summary>
internal readonly record struct FleetCounters(long Timestamp, long Responses, long Bytes, long Assignments, long Deliveries)
{
    public FleetCounters Minus(FleetCounters earlier) => new(
        Timestamp, Responses - earlier.Responses, Bytes - earlier.Bytes, Assignments - earlier.Assignments, Deliveries - earlier.Deliveries);

    public double Seconds(FleetCounters earlier) => Stopwatch.GetElapsedTime(earlier.Timestamp, Timestamp).TotalSeconds;
}

/// <summary>
/// The simulated proxies: opened in waves (each wave synced before the next, as a fleet rolls out, so start-up does
/// not swamp a two-core machine). Each HTTP/2 connection carries <c>streamsPerConnection</c> streams (one, as a real
/// proxy's, by default); connections leave from a new loopback source address every <see cref="StreamsPerSource"/>
/// streams.
/// </summary>
internal sealed class ProxyFleet : IAsyncDisposable
{
    /// <summary>Streams per source address: half the bridge's default <c>Ads:MaxStreamsPerPeer</c>.</summary>
    public const int StreamsPerSource = 500;

    private readonly int _adsPort;
    private readonly int _streamsPerConnection;
    private readonly SyntheticCatalog _catalog;
    private readonly Propagation _propagation;
    private readonly List<Proxy> _proxies = [];
    private readonly List<GrpcChannel> _channels = [];

    public ProxyFleet(int adsPort, int streamsPerConnection, SyntheticCatalog catalog, Propagation propagation)
    {
        _adsPort = adsPort;
        _streamsPerConnection = Math.Max(1, streamsPerConnection);
        _catalog = catalog;
        _propagation = propagation;
    }

    public IReadOnlyList<Proxy> Proxies => Snapshot();

    /// <summary>The proxies so far: the timeline samples them from another thread while waves are opening.</summary>
    private Proxy[] Snapshot()
    {
        lock (_proxies)
        {
            return [.. _proxies];
        }
    }

    /// <summary>Opens a stream per shape, <paramref name="waveSize"/> at a time, each wave synced before the next.</summary>
    public async Task OpenAsync(IReadOnlyList<ProxyShape> shapes, int waveSize, TimeSpan syncTimeout, Action<int>? progress, CancellationToken ct)
    {
        for (var first = 0; first < shapes.Count; first += waveSize)
        {
            var wave = new List<Proxy>();
            for (var n = first; n < Math.Min(shapes.Count, first + waveSize); n++)
            {
                var id = _proxies.Count;
                var shape = shapes[n];
                Proxy proxy = shape.Delta
                    ? new DeltaProxy(id, shape, _catalog, _propagation)
                    : new SotwProxy(id, shape, _catalog, _propagation);
                lock (_proxies)
                {
                    _proxies.Add(proxy);
                }

                wave.Add(proxy);
                await proxy.StartAsync(ChannelFor(id), ct).ConfigureAwait(false);
            }

            try
            {
                await Task.WhenAll(wave.Select(p => p.Synced)).WaitAsync(syncTimeout, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                var late = wave.Count(p => !p.Synced.IsCompleted);
                throw new TimeoutException($"{late} of {wave.Count} streams opened from #{first} did not sync within {syncTimeout.TotalSeconds:0} s.");
            }

            progress?.Invoke(_proxies.Count);
        }
    }

    public FleetCounters Counters()
    {
        long responses = 0, bytes = 0, assignments = 0, deliveries = 0;
        foreach (var proxy in Snapshot())
        {
            responses += proxy.Responses;
            bytes += proxy.Bytes;
            assignments += proxy.Assignments;
            deliveries += proxy.Deliveries;
        }

        return new FleetCounters(Stopwatch.GetTimestamp(), responses, bytes, assignments, deliveries);
    }

    /// <summary>Streams that have ended (the bridge closed or refused them).</summary>
    public int Ended => Snapshot().Count(p => p.Completion.IsCompleted);

    /// <summary>
    /// (change, stream) pairs not received: changes to a service a stream subscribes to that it has not seen. Those
    /// whose net effect, from what the stream last saw, is nothing are counted apart as superseded: no push is owed.
    /// </summary>
    /// <param name="log">The run's changes.</param>
    /// <param name="fromSeq">Count only changes numbered from this one (those of the current phase).</param>
    /// <param name="maxExamples">How many owed pairs to describe.</param>
    public (long Owed, long Superseded, IReadOnlyList<string> Examples) Outstanding(ChangeLog log, int fromSeq = 0, int maxExamples = 0)
    {
        long owed = 0, superseded = 0;
        var examples = new List<string>();
        foreach (var proxy in Snapshot())
        {
            foreach (var service in Subscribed(proxy))
            {
                var count = log.Count(service);
                var seen = proxy.Cursors.Get(service);
                if (seen >= count)
                {
                    continue;
                }

                var inPhase = Enumerable.Range(seen, count - seen).Count(j => log.Get(service, j).Seq >= fromSeq);
                if (log.NetNoOp(service, seen, count))
                {
                    superseded += inPhase;
                    continue;
                }

                owed += inPhase;
                if (examples.Count < maxExamples)
                {
                    var pending = Enumerable.Range(seen, count - seen).Select(j => log.Get(service, j))
                        .Select(c => $"#{c.Seq} {c.Kind} instance {c.Instance} -> {(c.TargetPort == Change.Absent ? "absent" : c.TargetPort)}");
                    examples.Add($"stream {proxy.Id} ({(proxy.Shape.Delta ? "delta" : "sotw")}, {(proxy.Shape.Scope is null ? "wildcard" : "scoped")}, " +
                        $"{proxy.Completion.Status}) service {_catalog.ServiceName(service)}: {string.Join("; ", pending)}");
                }
            }
        }

        return (owed, superseded, examples);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_proxies.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }

    private IEnumerable<int> Subscribed(Proxy proxy) => proxy.Shape.Scope ?? Enumerable.Range(0, _catalog.TotalServices);

    private GrpcChannel ChannelFor(int id)
    {
        var connection = id / _streamsPerConnection;
        while (_channels.Count <= connection)
        {
            var firstStream = _channels.Count * _streamsPerConnection;
            _channels.Add(LoopbackSources.AdsChannel(_adsPort, LoopbackSources.ForGroup(firstStream / StreamsPerSource)));
        }

        return _channels[connection];
    }
}
