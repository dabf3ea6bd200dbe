using Bridge.Core.Xds;

namespace Bridge.Core.Ads;

/// <summary>The xDS protocol variant a stream speaks.</summary>
public enum XdsProtocol
{
    StateOfTheWorld,
    Delta,
}

/// <summary>What one stream has been asked for and told, per type, as shown to operators.</summary>
public sealed record TypeStatus(
    string TypeUrl,
    bool Wildcard,
    IReadOnlyList<string> Subscribed,
    string? SentVersion,
    string? AckedVersion,
    string? NackedVersion,
    string? NackError,
    IReadOnlyDictionary<string, string> SentResourceVersions);

/// <summary>A connected stream, for diagnostics and limits.</summary>
public sealed class StreamHandle
{
    private readonly Func<IReadOnlyList<TypeStatus>> _describe;

    internal StreamHandle(long id, XdsProtocol protocol, string peer, Func<IReadOnlyList<TypeStatus>> describe)
    {
        Id = id;
        Protocol = protocol;
        Peer = peer;
        _describe = describe;
        OpenedAt = DateTimeOffset.UtcNow;
    }

    public long Id { get; }
    public XdsProtocol Protocol { get; }
    public string Peer { get; }
    public DateTimeOffset OpenedAt { get; }
    public ClientIdentity? Client { get; internal set; }

    public IReadOnlyList<TypeStatus> Describe() => _describe();
}

/// <summary>Every open stream. Streams add and remove themselves; readers get a point-in-time list.</summary>
public sealed class StreamRegistry
{
    // The stream instruments exist from the start, so the first scrape already shows them at zero.
    public StreamRegistry() => StreamMetrics.Register();

    private readonly ConcurrentDictionary<long, StreamHandle> _streams = new();
    private long _nextId;

    private readonly CancellationTokenSource _draining = new();

    public int Count => _streams.Count;

    /// <summary>Cancelled when the bridge shuts down: every stream ends cleanly so proxies reconnect elsewhere.</summary>
    public CancellationToken Draining => _draining.Token;

    /// <summary>Ends every open stream (and refuses new ones) for a graceful shutdown.</summary>
    public void DrainAll() => _draining.Cancel();

    public IReadOnlyList<StreamHandle> Snapshot() => [.. _streams.Values.OrderBy(s => s.Id)];

    public int CountByKind(ClientKind kind, XdsProtocol protocol) =>
        _streams.Values.Count(s => s.Client?.Kind == kind && s.Protocol == protocol);

    private readonly ConcurrentDictionary<string, int> _perPeer = new(StringComparer.Ordinal);
    private int _open;

    /// <summary>Registers a stream, or refuses it when a limit is reached; the caller must close what it opened.</summary>
    internal StreamHandle Open(XdsProtocol protocol, string peer, Func<IReadOnlyList<TypeStatus>> describe, int maxStreams = int.MaxValue, int maxPerPeer = int.MaxValue)
    {
        var address = PeerAddress(peer);
        if (Interlocked.Increment(ref _open) > maxStreams)
        {
            Interlocked.Decrement(ref _open);
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.ResourceExhausted,
                $"the bridge already serves {maxStreams} streams (Ads:MaxStreams)"));
        }

        if (_perPeer.AddOrUpdate(address, 1, (_, n) => n + 1) > maxPerPeer)
        {
            Release(address);
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.ResourceExhausted,
                $"{address} already has {maxPerPeer} streams open (Ads:MaxStreamsPerPeer)"));
        }

        var handle = new StreamHandle(Interlocked.Increment(ref _nextId), protocol, peer, describe);
        _streams[handle.Id] = handle;
        return handle;
    }

    internal void Close(StreamHandle handle)
    {
        if (_streams.TryRemove(handle.Id, out _))
        {
            Release(PeerAddress(handle.Peer));
        }
    }

    private void Release(string address)
    {
        Interlocked.Decrement(ref _open);
        if (_perPeer.AddOrUpdate(address, 0, (_, n) => n - 1) <= 0)
        {
            _perPeer.TryRemove(new KeyValuePair<string, int>(address, 0));
        }
    }

    /// <summary>gRPC peers look like <c>ipv4:10.0.0.1:5000</c> or <c>ipv6:[::1]:5000</c>; limits apply per address.</summary>
    internal static string PeerAddress(string peer)
    {
        var colon = peer.LastIndexOf(':');
        var withoutPort = colon > 0 && peer.IndexOf(':') != colon ? peer[..colon] : peer;
        return withoutPort;
    }
}
