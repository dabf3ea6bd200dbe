using Bridge.Core.Xds;
using Envoy.Service.Discovery.V3;
using Grpc.Core;

namespace Bridge.Core.Ads.Delta;

/// <summary>
/// One incremental (delta) ADS stream over the same cache as state of the world: it sends only resources whose
/// version differs from what the client holds and names the ones that are gone in <c>removed_resources</c>.
/// </summary>
internal sealed class DeltaStream : AdsStream<DeltaDiscoveryRequest>
{
    private long _nonce;

    public DeltaStream(
        IAsyncStreamReader<DeltaDiscoveryRequest> requests,
        IServerStreamWriter<EncodedResponse> responses,
        XdsCache cache,
        AdsOptions options,
        ILogger logger,
        TimeProvider? time = null)
        : base(requests, responses, cache, options, logger, time)
    {
    }

    protected override XdsProtocol Protocol => XdsProtocol.Delta;

    protected override Envoy.Config.Core.V3.Node? NodeOf(DeltaDiscoveryRequest request) => request.Node;

    protected override string TypeUrlOf(DeltaDiscoveryRequest request) => request.TypeUrl;

    protected override int NameCountOf(DeltaDiscoveryRequest request) =>
        request.ResourceNamesSubscribe.Count + request.ResourceNamesUnsubscribe.Count + request.InitialResourceVersions.Count;

    protected override void Apply(DeltaDiscoveryRequest request, string typeUrl)
    {
        var state = Subscriptions.GetOrAdd(typeUrl);
        lock (state)
        {
            // An ACK or NACK alone changes nothing to compare; a first request or a subscription change does.
            var subscriptionChanged = !state.Requested || request.ResourceNamesSubscribe.Count > 0 || request.ResourceNamesUnsubscribe.Count > 0;
            state.Owed |= subscriptionChanged;
            Apply(state, request);
            if (subscriptionChanged)
            {
                InterestChanged();
            }
        }
    }

    private void Apply(Subscription state, DeltaDiscoveryRequest request)
    {
        var first = !state.Requested;
        var wasWildcard = state.Wildcard;
        if (!string.IsNullOrEmpty(request.ResponseNonce))
        {
            // In delta the nonce only correlates an ACK or NACK; subscription changes apply whatever it is.
            if (request.ErrorDetail is { } error)
            {
                state.RejectedVersion = request.ResponseNonce;
                state.RejectError = error.Message;
                StreamMetrics.Nacked(state.TypeUrl);
                AdsLog.Nack(Logger, NodeId, TypeUrls.Short(state.TypeUrl), request.ResponseNonce, error.Message);
            }
            else
            {
                state.AckedVersion = request.ResponseNonce;
                if (request.ResponseNonce == state.Nonce)
                {
                    StreamMetrics.Acked(state.PendingChangedAt);
                    state.PendingChangedAt = 0;
                }

                AdsLog.Ack(Logger, NodeId, TypeUrls.Short(state.TypeUrl), request.ResponseNonce);
            }
        }

        if (!state.Requested)
        {
            state.Requested = true;
            foreach (var (name, version) in request.InitialResourceVersions)
            {
                state.Sent(name, version);
            }

            // A stream resuming with what it holds is not initialising: it needs only the differences.
            state.Answered = request.InitialResourceVersions.Count > 0;

            // Legacy wildcard: a first LDS/CDS request that subscribes to nothing asks for everything.
            if (request.ResourceNamesSubscribe.Count == 0 && request.ResourceNamesUnsubscribe.Count == 0 && TypeUrls.RequiresFullState(state.TypeUrl))
            {
                state.Wildcard = true;
            }
        }

        foreach (var name in request.ResourceNamesSubscribe)
        {
            if (name == "*")
            {
                state.Wildcard = true;
                continue;
            }

            var shared = DiscoveryRequestReader.Shared(name);
            state.Names.Add(shared);
            Subscribed(state.TypeUrl, shared);
            if (!request.InitialResourceVersions.ContainsKey(name))
            {
                // A subscribed name must be provided even if the client seems to hold it.
                state.Forget(name);
            }
        }

        foreach (var name in request.ResourceNamesUnsubscribe)
        {
            if (name == "*")
            {
                state.Wildcard = false;
                continue;
            }

            if (state.Names.Remove(name))
            {
                // Outside a wildcard the client simply forgets it. Inside one it must be told again: as a
                // resource if the wildcard covers it, as removed if not.
                if (state.Wildcard)
                {
                    state.MustResend(name);
                }
                else
                {
                    state.Forget(name);
                }
            }
        }

        if (!state.Wildcard && (wasWildcard || first))
        {
            // Leaving the wildcard (or declaring versions of names not subscribed): what it alone covered is no
            // longer tracked, and needs no answer. Only then: an ACK restating nothing must cost nothing per name.
            foreach (var name in state.HeldNames.Where(n => !state.Names.Contains(n)).ToList())
            {
                state.Forget(name);
            }
        }
    }

    protected override EncodedResponse? Build(Subscription state, XdsSnapshot snapshot)
    {
        var client = Client!;
        var set = snapshot.Get(client.Kind, state.TypeUrl);
        lock (state)
        {
            var previous = state.ServedGeneration;
            state.ServedGeneration = snapshot.Generation;
            IEnumerable<string> names;
            if (!state.Owed && Cache.ChangedSince(previous, snapshot, state.TypeUrl) is { } changed)
            {
                // Subscription unchanged: only names changed since the last snapshot this state saw can matter.
                if (changed.Count == 0 || !ScopedLookup.AnyRelevant(client, state.TypeUrl, changed, state.Names, state.Wildcard, state.Tracks, snapshot))
                {
                    return null;
                }

                names = changed.Order(StringComparer.Ordinal);
            }
            else
            {
                // Everything visible, and everything the client holds that may have left its view.
                var all = new SortedSet<string>(state.Names, StringComparer.Ordinal);
                if (state.Wildcard)
                {
                    all.UnionWith(ScopedLookup.Wildcard(client, state.TypeUrl, set, snapshot));
                }

                all.UnionWith(state.HeldNames);
                names = all;
            }

            state.Owed = false;
            var sent = new List<XdsResource>();
            var removed = new List<string>();
            foreach (var name in names)
            {
                var visible = state.Names.Contains(name) || (state.Wildcard && ScopedLookup.InWildcard(client, state.TypeUrl, set, name, snapshot));
                var resource = visible ? ScopedLookup.Find(client, state.TypeUrl, set, name, snapshot) : null;
                if (resource is not null)
                {
                    if (!state.Holds(name, resource.Version))
                    {
                        var updated = state.HoldsSomething(name);
                        sent.Add(resource);
                        if (updated && state.TypeUrl == TypeUrls.Cluster)
                        {
                            Subscriptions.RewarmAssignment(name);
                        }
                    }
                }
                else if (visible ? !state.WasToldAbsent(name) : state.HoldsSomething(name))
                {
                    // Subscribed but missing, or held by the client and no longer in its view: say it is gone.
                    removed.Add(name);
                    state.ToldAbsent(name);
                }
            }

            // The first wildcard answer goes out even when empty: a proxy waits for it to finish initialising.
            if (sent.Count == 0 && removed.Count == 0 && (state.Answered || !state.Wildcard))
            {
                return null;
            }

            state.Answered = true;
            var body = sent.Count == 1 && removed.Count == 0
                ? sent[0].SoleDeltaBody ?? sent[0].KeepSoleDeltaBody(ResponseBody.Delta(state.TypeUrl, XdsResource.ContentVersion(sent, removed), sent, removed))
                : Cache.Bodies.Delta(state.TypeUrl, XdsResource.ContentVersion(sent, removed), sent, removed);
            // Recorded once the names are walked (each name comes once): a stream that tracked nothing before this
            // response shares the response's map of what it carries with every stream sent the same one.
            if (state.HeldCount == 0 && removed.Count == 0 && sent.Count > 1)
            {
                state.HoldExactly(body.Held);
            }
            else
            {
                foreach (var resource in sent)
                {
                    state.Sent(resource.Name, resource.Version);
                }
            }

            var nonce = (++_nonce).ToString(CultureInfo.InvariantCulture);
            state.Nonce = nonce;
            state.SentVersion = nonce;
            state.PendingChangedAt = snapshot.ChangedAt;
            AdsLog.Response(Logger, NodeId, TypeUrls.Short(state.TypeUrl), body.Version, sent.Count, nonce);
            return new EncodedResponse(body, nonce);
        }
    }
}
