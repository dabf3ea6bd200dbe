using Bridge.Core.Xds;
using Envoy.Config.Core.V3;
using Grpc.Core;

namespace Bridge.Core.Ads;

/// <summary>
/// What state-of-the-world and delta streams share: registration and limits, the request pump, the single serving
/// loop that applies the client's requests and the cache's snapshots and is the only writer, the bounded wait for
/// the first full catalog, validation common to both request kinds, and how a stream ends. Subclasses keep their
/// per-type state and decide what to send.
/// </summary>
internal abstract class AdsStream<TRequest>
    where TRequest : class
{
    private readonly IAsyncStreamReader<TRequest> _requests;
    private readonly IServerStreamWriter<EncodedResponse> _responses;
    private readonly HashSet<string> _unknownTypesLogged = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private StreamHandle? _handle;
    private IDisposable? _scope;

    /// <param name="time">The clock <see cref="AdsOptions.MaxStreamAge"/> is measured on; the system's when null.</param>
    protected AdsStream(IAsyncStreamReader<TRequest> requests, IServerStreamWriter<EncodedResponse> responses, XdsCache cache, AdsOptions options, ILogger logger, TimeProvider? time)
    {
        _requests = requests;
        _responses = responses;
        Cache = cache;
        Options = options;
        Logger = logger;
        _time = time ?? TimeProvider.System;
    }

    protected XdsCache Cache { get; }
    protected AdsOptions Options { get; }
    protected ILogger Logger { get; }

    /// <summary>Set from the stream's first request.</summary>
    protected ClientIdentity? Client { get; private set; }

    protected string NodeId => Client?.NodeId ?? "(unknown)";

    protected abstract XdsProtocol Protocol { get; }

    protected abstract Node? NodeOf(TRequest request);

    protected abstract string TypeUrlOf(TRequest request);

    /// <summary>How many resource names the request lists, for the abuse limit.</summary>
    protected abstract int NameCountOf(TRequest request);

    /// <summary>Applies a valid request of a known type to the per-type state.</summary>
    protected abstract void Apply(TRequest request, string typeUrl);

    /// <summary>The response owed for one subscribed type against this snapshot, or null.</summary>
    protected abstract EncodedResponse? Build(Subscription state, XdsSnapshot snapshot);

    /// <summary>What the client subscribed to and holds, per type URL.</summary>
    protected Subscriptions Subscriptions { get; } = new();

    /// <summary>Adds the wake keys of every type's subscription (see <see cref="ScopedLookup.AddWakeKeys"/>).</summary>
    private void AddWakeKeys(HashSet<string> keys)
    {
        foreach (var subscription in Subscriptions.All())
        {
            lock (subscription)
            {
                ScopedLookup.AddWakeKeys(Client!, subscription.TypeUrl, subscription.Wildcard, subscription.Names, keys);
            }
        }
    }

    /// <summary>
    /// Subclasses call this for each name newly subscribed: a gRPC client dialling <c>xds:///web:8080</c> needs a
    /// listener of that very name, which the cache builds into its snapshots from then on.
    /// </summary>
    protected void Subscribed(string typeUrl, string name)
    {
        if (Client?.Kind == ClientKind.Grpc && typeUrl == TypeUrls.Listener && !Cache.Current.Get(ClientKind.Grpc, TypeUrls.Listener).ByName.ContainsKey(name))
        {
            Cache.RequestPortedListener(name);
        }
    }

    /// <summary>Subclasses call this when a subscription changed, so the stream's wake keys are recomputed.</summary>
    protected void InterestChanged() => _interestChanged = true;

    private bool _interestChanged = true;

    /// <summary>Per-type state as operators see it.</summary>
    private IReadOnlyList<TypeStatus> Describe() => Subscriptions.Describe();

    /// <param name="retireConnection">Closes the stream's connection gracefully; called when the stream ends for its age.</param>
    public async Task RunAsync(StreamRegistry registry, string peer, CancellationToken ct, Action? retireConnection = null)
    {
        var protocol = Protocol == XdsProtocol.Delta ? "delta" : "sotw";
        try
        {
            _handle = registry.Open(Protocol, peer, Describe, Options.MaxStreams, Options.MaxStreamsPerPeer);
        }
        catch (RpcException e)
        {
            AdsLog.StreamRefused(Logger, peer, e.Status.Detail);
            throw;
        }

        var reason = "client closed the stream";
        using var scope = Logger.BeginScope(new StreamScope(this, _handle.Id, peer));
        try
        {
            var wake = new WakeSignal();
            using var registration = Cache.Wakes.Register(wake);
            await using var pump = new RequestPump<TRequest>(_requests, Options.RequestQueueLength, wake, ct);
            var syncDeadline = InitialSync.Deadline(Cache, Options, ct);
            var openedAt = _time.GetTimestamp();
            var ageLimit = StreamAge.Limit(Options.MaxStreamAge);
            var aged = ageLimit > TimeSpan.Zero ? Task.Delay(ageLimit, _time, ct) : null;
            var agedOut = false;
            var answered = false;
            while (await pump.WaitAsync(ct, StreamAge.WakeAlsoOn(Cache.Current.Ready, syncDeadline, aged)).ConfigureAwait(false))
            {
                if (aged is { IsCompletedSuccessfully: true })
                {
                    (aged, agedOut) = (null, true);
                }

                // Between two responses, and never before the first: a stream ended unanswered makes clients back off.
                if (agedOut && answered)
                {
                    retireConnection?.Invoke();
                    reason = EndForAge(_time.GetElapsedTime(openedAt), ageLimit, protocol);
                    return;
                }

                InitialSync.ThrowIfLate(Cache, syncDeadline, Logger, peer, Options);
                while (pump.TryRead(out var request))
                {
                    Receive(request, peer, protocol);
                }

                if (Client is not null && _interestChanged)
                {
                    // Before reading the snapshot: a change published after this is sure to wake the stream again.
                    _interestChanged = false;
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    AddWakeKeys(keys);
                    registration.Update(keys);
                }

                var snapshot = Cache.Current;
                if (Client is null || !snapshot.Ready)
                {
                    continue;
                }

                foreach (var typeUrl in ClustersOnlyLeave(snapshot) ? TypeUrls.RemovalOrder : TypeUrls.All)
                {
                    if (Subscriptions.TryGet(typeUrl, out var state) && Build(state, snapshot) is { } response)
                    {
                        var changedAt = state.PendingChangedAt;
                        await _responses.WriteAsync(response, ct).ConfigureAwait(false);
                        StreamMetrics.Written(typeUrl, protocol, changedAt);
                        answered = true;
                    }
                }

                if (agedOut && answered)
                {
                    retireConnection?.Invoke();
                    reason = EndForAge(_time.GetElapsedTime(openedAt), ageLimit, protocol);
                    return;
                }
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.InvalidArgument or StatusCode.ResourceExhausted or StatusCode.Unavailable)
        {
            reason = e.Status.Detail;
            AdsLog.RequestRejected(Logger, NodeId, peer, reason);
            throw;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException || e is RpcException { StatusCode: StatusCode.Cancelled })
        {
            reason = ct.IsCancellationRequested ? "cancelled" : e.Message;
        }
        catch (Exception e)
        {
            reason = $"failed: {e.Message}";
            throw;
        }
        finally
        {
            _scope?.Dispose();
            registry.Close(_handle);
            AdsLog.StreamClosed(Logger, _handle.Id, NodeId, reason);
        }
    }

    /// <summary>
    /// Whether this snapshot takes clusters away from the client and gives it none: then routes go first (see
    /// <see cref="TypeUrls.RemovalOrder"/>). When clusters also arrive, they go first as always, since a route to a
    /// cluster the client does not have yet fails too.
    /// </summary>
    private bool ClustersOnlyLeave(XdsSnapshot snapshot)
    {
        if (!Subscriptions.TryGet(TypeUrls.Cluster, out var clusters))
        {
            return false;
        }

        lock (clusters)
        {
            if (clusters.Owed || clusters.ServedGeneration < 0 || clusters.ServedGeneration == snapshot.Generation
                || Cache.ChangedSince(clusters.ServedGeneration, snapshot, TypeUrls.Cluster) is not { Count: > 0 } changed)
            {
                return false;
            }

            // What this client may see: a scoped node is not given clusters outside its scope, so they neither
            // arrive nor leave for it.
            var set = snapshot.Get(Client!.Kind, TypeUrls.Cluster);
            var leaves = false;
            foreach (var name in changed)
            {
                var held = clusters.HoldsSomething(name);
                var served = ScopedLookup.Find(Client, TypeUrls.Cluster, set, name, snapshot) is not null;
                if (!held && served)
                {
                    return false;
                }

                leaves |= held && !served;
            }

            return leaves;
        }
    }

    /// <summary>Ends the stream for its age: returning completes the call with OK, which every xDS client reconnects after at once.</summary>
    private string EndForAge(TimeSpan age, TimeSpan limit, string protocol)
    {
        AdsLog.StreamMaxAgeReached(Logger, _handle!.Id, NodeId, Math.Round(age.TotalSeconds, 1), Math.Round(limit.TotalSeconds, 1), Options.MaxStreamAge);
        StreamMetrics.EndedForAge(protocol);
        return $"open longer than Ads:MaxStreamAge ({limit.TotalSeconds:0.#} s with jitter); the proxy reconnects";
    }

    private void Receive(TRequest request, string peer, string protocol)
    {
        if (Client is null)
        {
            Client = ClientIdentity.From(NodeOf(request), Options);
            _handle!.Client = Client;
            if (Client.Scope is { } scope)
            {
                _scope = Cache.HoldScope(Client.ScopeKey, scope)
                    ?? throw new RpcException(new Status(StatusCode.ResourceExhausted, $"more than {XdsCache.MaxExtras} distinct service lists are declared by open streams"));
            }

            AdsLog.StreamOpened(Logger, _handle.Id, Client.NodeId, Client.Kind.ToString(), protocol, peer);
        }

        var typeUrl = TypeUrlOf(request);
        if (string.IsNullOrEmpty(typeUrl))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{typeof(TRequest).Name}.type_url is required on an aggregated stream"));
        }

        if (!TypeUrls.IsKnown(typeUrl))
        {
            // On ADS, closing the stream would cut every type; an unknown one is logged (once) and ignored.
            if (_unknownTypesLogged.Count < 16 && _unknownTypesLogged.Add(typeUrl))
            {
                AdsLog.UnknownTypeUrl(Logger, NodeId, typeUrl);
            }

            return;
        }

        var names = NameCountOf(request);
        if (names > Options.MaxResourceNamesPerRequest)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"request lists {names} {TypeUrls.Short(typeUrl)} names, more than the limit of {Options.MaxResourceNamesPerRequest} (Ads:MaxResourceNamesPerRequest)"));
        }

        Apply(request, typeUrl);
    }

    /// <summary>Every log line written while serving a stream carries its id, peer and node id (once known).</summary>
    private sealed class StreamScope(AdsStream<TRequest> stream, long id, string peer) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("StreamId", id),
            1 => new("Peer", peer),
            _ => new("NodeId", stream.NodeId),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"stream {id} node {stream.NodeId} from {peer}";
    }
}
