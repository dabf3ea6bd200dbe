using Bridge.Core.Xds;
using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Bridge.Core.Ads.Sotw;

/// <summary>
/// One state-of-the-world ADS stream. A single loop applies the client's requests and the cache's snapshots
/// and is the only writer, so per-type state needs no locks beyond what diagnostics read.
/// </summary>
internal sealed class SotwStream : AdsStream<DiscoveryRequest>
{
    private readonly Dictionary<string, XdsResource> _emptyAssignments = new(StringComparer.Ordinal);

    /// <summary>The names of the last request applied per type, in its order, to recognise an ACK that restates them.</summary>
    private readonly Dictionary<string, string[]> _listed = new(StringComparer.Ordinal);
    private long _nonce;

    public SotwStream(
        IAsyncStreamReader<DiscoveryRequest> requests,
        IServerStreamWriter<EncodedResponse> responses,
        XdsCache cache,
        AdsOptions options,
        ILogger logger,
        TimeProvider? time = null)
        : base(requests, responses, cache, options, logger, time)
    {
    }

    protected override XdsProtocol Protocol => XdsProtocol.StateOfTheWorld;

    protected override Envoy.Config.Core.V3.Node? NodeOf(DiscoveryRequest request) => request.Node;

    protected override string TypeUrlOf(DiscoveryRequest request) => request.TypeUrl;

    protected override int NameCountOf(DiscoveryRequest request) => request.ResourceNames.Count;

    protected override void Apply(DiscoveryRequest request, string typeUrl)
    {
        var state = Subscriptions.GetOrAdd(typeUrl);
        state.Requested = true;
        if (state.Nonce is not null)
        {
            if (request.ResponseNonce != state.Nonce)
            {
                // A newer response is on its way; the client will restate its whole subscription after it.
                AdsLog.StaleNonce(Logger, NodeId, typeUrl, request.ResponseNonce);
                return;
            }

            if (request.ErrorDetail is { } error)
            {
                state.RejectedVersion = state.SentVersion;
                state.RejectError = error.Message;
                state.PendingChangedAt = 0;
                StreamMetrics.Nacked(typeUrl);
                AdsLog.Nack(Logger, NodeId, TypeUrls.Short(typeUrl), state.SentVersion ?? "", error.Message);
            }
            else
            {
                state.AckedVersion = request.VersionInfo;
                // Accepting something newer lifts the ban on content it once rejected.
                state.RejectedVersion = null;
                StreamMetrics.Acked(state.PendingChangedAt);
                state.PendingChangedAt = 0;
                AdsLog.Ack(Logger, NodeId, TypeUrls.Short(typeUrl), request.VersionInfo);
            }
        }

        UpdateSubscription(state, request);
    }

    private void UpdateSubscription(Subscription state, DiscoveryRequest request)
    {
        // The usual ACK lists the very strings of the previous request (names are shared as they are read).
        var listed = request.ResourceNames;
        if (_listed.TryGetValue(state.TypeUrl, out var last) && last.Length == listed.Count && SameStrings(last, listed))
        {
            return;
        }

        // Every ACK restates the whole subscription (thousands of names for an Envoy's EDS): a list that changed is
        // looked up among the lists other streams sent, and its names and set shared with them.
        var shared = NameLists.Get(listed);
        _listed[state.TypeUrl] = shared.Names;
        var names = shared.Set;
        var star = shared.Star;

        bool wildcard;
        if (TypeUrls.RequiresFullState(state.TypeUrl))
        {
            // Legacy rule: until a name has been listed, an empty list means "everything".
            wildcard = star || (!state.ListedAName && request.ResourceNames.Count == 0);
            state.ListedAName |= request.ResourceNames.Count > 0;
        }
        else
        {
            wildcard = star;
        }

        var changed = wildcard != state.Wildcard || !names.SetEquals(state.Names);
        if (changed)
        {
            lock (state)
            {
                // Newly listed names must be sent again even if they were sent before; forgotten ones too on resubscribe.
                foreach (var name in names)
                {
                    if (!state.Names.Contains(name))
                    {
                        state.Forget(name);
                        Subscribed(state.TypeUrl, name);
                    }
                }

                foreach (var name in state.Names)
                {
                    if (!names.Contains(name))
                    {
                        state.Forget(name);
                    }
                }

                state.Names = names;
                state.Wildcard = wildcard;
            }

            state.Owed = true;
            InterestChanged();
        }
    }

    private static bool SameStrings(string[] last, Google.Protobuf.Collections.RepeatedField<string> listed)
    {
        for (var i = 0; i < last.Length; i++)
        {
            if (!ReferenceEquals(last[i], listed[i]))
            {
                return false;
            }
        }

        return true;
    }

    protected override EncodedResponse? Build(Subscription state, XdsSnapshot snapshot)
    {
        var client = Client!;
        var set = snapshot.Get(client.Kind, state.TypeUrl);
        var previous = state.ServedGeneration;
        state.ServedGeneration = snapshot.Generation;
        IEnumerable<string>? candidates = null;
        if (!state.Owed && previous >= 0)
        {
            // Nothing owed to the client: only what changed since the snapshot this state last saw can matter.
            if (previous == snapshot.Generation)
            {
                return null;
            }

            if (Cache.ChangedSince(previous, snapshot, state.TypeUrl) is { } changed)
            {
                if (changed.Count == 0 || !ScopedLookup.AnyRelevant(client, state.TypeUrl, changed, state.Names, state.Wildcard, state.Tracks, snapshot))
                {
                    return null;
                }

                if (!TypeUrls.RequiresFullState(state.TypeUrl))
                {
                    candidates = changed.Where(n => state.Names.Contains(n) || state.Tracks(n) || state.Wildcard).Order(StringComparer.Ordinal);
                }
            }
        }

        var selected = new List<XdsResource>();
        IEnumerable<string> scope = candidates ?? (state.Wildcard
            ? state.Names.Union(ScopedLookup.Wildcard(client, state.TypeUrl, set, snapshot)).Order(StringComparer.Ordinal)
            : state.Names.Order(StringComparer.Ordinal));
        foreach (var name in scope)
        {
            if (ScopedLookup.Find(client, state.TypeUrl, set, name, snapshot) is { } resource)
            {
                selected.Add(resource);
            }
            else if (state.TypeUrl == TypeUrls.ClusterLoadAssignment && state.Names.Contains(name))
            {
                // gRPC clients wait forever for a missing assignment; an empty one says "no endpoints".
                selected.Add(EmptyAssignment(name));
            }
        }

        List<XdsResource> toSend;
        if (TypeUrls.RequiresFullState(state.TypeUrl))
        {
            var same = !state.Owed && selected.Count == state.HeldCount && selected.TrueForAll(r => state.Holds(r.Name, r.Version));
            if (same)
            {
                return null;
            }

            toSend = selected;
        }
        else
        {
            toSend = selected.FindAll(r => !state.Holds(r.Name, r.Version));
            if (toSend.Count == 0)
            {
                state.Owed = false;
                return null;
            }
        }

        var version = VersionOf(toSend);
        state.PendingChangedAt = state.Owed ? 0 : snapshot.ChangedAt;
        state.Owed = false;
        if (version == state.RejectedVersion)
        {
            return null;
        }

        var body = toSend.Count == 1
            ? toSend[0].SoleSotwBody ?? toSend[0].KeepSoleSotwBody(ResponseBody.Sotw(state.TypeUrl, version, toSend))
            : Cache.Bodies.Sotw(state.TypeUrl, version, toSend);
        var nonce = (++_nonce).ToString(System.Globalization.CultureInfo.InvariantCulture);
        lock (state)
        {
            if (TypeUrls.RequiresFullState(state.TypeUrl))
            {
                if (state.TypeUrl == TypeUrls.Cluster)
                {
                    foreach (var cluster in toSend)
                    {
                        if (state.HoldsSomething(cluster.Name) && !state.Holds(cluster.Name, cluster.Version))
                        {
                            Subscriptions.RewarmAssignment(cluster.Name);
                        }
                    }
                }

                // The client now holds exactly what was sent, as every stream sent this response does.
                state.HoldExactly(body.Held);
            }
            else if (state.HeldCount == 0 && toSend.Count > 1)
            {
                state.HoldExactly(body.Held);
            }
            else
            {
                foreach (var resource in toSend)
                {
                    state.Sent(resource.Name, resource.Version);
                }
            }

            state.Nonce = nonce;
            state.SentVersion = version;
        }

        AdsLog.Response(Logger, NodeId, TypeUrls.Short(state.TypeUrl), version, toSend.Count, nonce);
        return new EncodedResponse(body, nonce);
    }

    private XdsResource EmptyAssignment(string name)
    {
        if (!_emptyAssignments.TryGetValue(name, out var resource))
        {
            resource = XdsCache.EmptyAssignment(name);
            if (_emptyAssignments.Count < 1024)
            {
                _emptyAssignments[name] = resource;
            }
        }

        return resource;
    }

    /// <summary>A response's version is a hash of the names and versions it carries: equal content, equal version.</summary>
    internal static string VersionOf(IReadOnlyList<XdsResource> resources) =>
        // The usual push carries one changed resource to many streams: its response version is computed once.
        resources.Count == 1 ? resources[0].SoleResponseVersion ??= XdsResource.ContentVersion(resources) : XdsResource.ContentVersion(resources);
}
