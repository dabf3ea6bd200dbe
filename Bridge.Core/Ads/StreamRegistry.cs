using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<long, StreamHandle> _streams = new();
    private long _nextId;

    public int Count => _streams.Count;

    public IReadOnlyList<StreamHandle> Snapshot() => [.. _streams.Values.OrderBy(s => s.Id)];

    public int CountByKind(ClientKind kind, XdsProtocol protocol) =>
        _streams.Values.Count(s => s.Client?.Kind == kind && s.Protocol == protocol);

    internal StreamHandle Open(XdsProtocol protocol, string peer, Func<IReadOnlyList<TypeStatus>> describe)
    {
        var handle = new StreamHandle(Interlocked.Increment(ref _nextId), protocol, peer, describe);
        _streams[handle.Id] = handle;
        return handle;
    }

    internal void Close(StreamHandle handle) => _streams.TryRemove(handle.Id, out _);
}
