using System.Collections.Immutable;

namespace Bridge.Testing.Ads;

/// <summary>
/// An incremental client of <c>AggregatedDiscoveryService/DeltaAggregatedResources</c>: one stream, tracking per
/// type the names subscribed and the version of every resource it holds (a response's resources and removals
/// are applied when it is ACKed, not when it is NACKed), so that it can reconnect with
/// <c>initial_resource_versions</c> as a proxy does. Responses are read on a background loop, time-stamped and
/// queued; read them with <see cref="AdsClientBase{TRequest, TResponse}.NextAsync"/> or <see cref="AdsClientBase{TRequest, TResponse}.Responses"/>.
/// </summary>
/// <remarks>Cheap enough to open thousands of over a few channels (see <see cref="AdsChannels"/>). Thread-safe.</remarks>
public sealed class DeltaAdsClient : AdsClientBase<DeltaDiscoveryRequest, DeltaDiscoveryResponse>
{
    private readonly Dictionary<string, TypeState> _types = new(StringComparer.Ordinal);

    /// <summary>Opens a stream on <paramref name="channel"/>; nothing is sent until the first request.</summary>
    /// <param name="channel">The channel to the ADS server; several clients may share one.</param>
    /// <param name="node">Sent on the stream's first request (see <see cref="AdsNodes"/>).</param>
    /// <param name="options">Client behaviour; <see cref="AdsClientOptions.Default"/> when null.</param>
    public DeltaAdsClient(ChannelBase channel, Node node, AdsClientOptions? options = null)
        : base(channel, node, options, client => client.DeltaAggregatedResources(), request => request.Node ??= node, $"the delta ADS stream of node '{node.Id}'")
    {
    }

    /// <summary>
    /// Opens a stream that resumes <paramref name="subscriptions"/>: one request per type listing its names in
    /// <c>resource_names_subscribe</c> and the versions held in <c>initial_resource_versions</c>.
    /// </summary>
    /// <param name="channel">The channel to the ADS server.</param>
    /// <param name="node">The node the stream identifies as.</param>
    /// <param name="subscriptions">What to resume; usually <see cref="Subscriptions"/> of an earlier client, possibly edited.</param>
    /// <param name="options">Client behaviour; <see cref="AdsClientOptions.Default"/> when null.</param>
    /// <param name="ct">Cancels the requests.</param>
    /// <returns>The new client, holding the versions it declared.</returns>
    public static async Task<DeltaAdsClient> ResumeAsync(
        ChannelBase channel, Node node, IEnumerable<DeltaSubscription> subscriptions, AdsClientOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        var client = new DeltaAdsClient(channel, node, options);
        foreach (var subscription in subscriptions)
        {
            DeltaDiscoveryRequest request;
            lock (client._types)
            {
                var state = client.State(subscription.TypeUrl);
                state.LegacyWildcard = subscription.Names.Count == 0;
                state.Sent = true;
                foreach (var (name, version) in subscription.InitialVersions)
                {
                    state.Held[name] = version;
                }

                foreach (var name in subscription.Names)
                {
                    state.Names.Add(name);
                }

                request = new DeltaDiscoveryRequest { TypeUrl = subscription.TypeUrl, ResourceNamesSubscribe = { subscription.Names } };
                foreach (var (name, version) in subscription.InitialVersions)
                {
                    request.InitialResourceVersions[name] = version;
                }
            }

            await client.Stream.WriteAsync(request, ct).ConfigureAwait(false);
        }

        return client;
    }

    /// <summary>
    /// Subscribes to <paramref name="names"/> of <paramref name="typeUrl"/> (<see cref="AdsClient.Wildcard"/> for all).
    /// An empty list on a type's first request is the legacy wildcard for Listener and Cluster.
    /// </summary>
    /// <param name="typeUrl">The resource type.</param>
    /// <param name="names">Names to add to the subscription.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the request is written to the stream.</returns>
    public override Task SubscribeAsync(string typeUrl, IReadOnlyCollection<string> names, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        DeltaDiscoveryRequest request;
        lock (_types)
        {
            var state = State(typeUrl);
            state.LegacyWildcard |= !state.Sent && names.Count == 0;
            state.Sent = true;
            foreach (var name in names)
            {
                state.Names.Add(name);
            }

            request = new DeltaDiscoveryRequest { TypeUrl = typeUrl, ResourceNamesSubscribe = { names } };
        }

        return Stream.WriteAsync(request, ct);
    }

    /// <summary>
    /// Unsubscribes from <paramref name="names"/> of <paramref name="typeUrl"/>. What is held of them is dropped, unless
    /// a wildcard subscription still covers them (the server then answers for them again).
    /// </summary>
    /// <param name="typeUrl">The resource type.</param>
    /// <param name="names">Names to remove from the subscription (<see cref="AdsClient.Wildcard"/> leaves the wildcard).</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the request is written to the stream.</returns>
    public Task UnsubscribeAsync(string typeUrl, IReadOnlyCollection<string> names, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        DeltaDiscoveryRequest request;
        lock (_types)
        {
            var state = State(typeUrl);
            state.Sent = true;
            foreach (var name in names)
            {
                state.Names.Remove(name);
                if (name == AdsClient.Wildcard)
                {
                    state.LegacyWildcard = false;
                }
                else if (!state.Wildcard)
                {
                    // Inside a wildcard the server answers for the name again; outside it, it is simply forgotten.
                    state.Held.Remove(name);
                }
            }

            request = new DeltaDiscoveryRequest { TypeUrl = typeUrl, ResourceNamesUnsubscribe = { names } };
        }

        return Stream.WriteAsync(request, ct);
    }

    /// <summary>ACKs <paramref name="response"/> and applies it: its resources are held at their versions, its removals dropped.</summary>
    /// <param name="response">A response read from this stream.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the ACK is written to the stream.</returns>
    public override Task AckAsync(DeltaDiscoveryResponse response, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        lock (_types)
        {
            Apply(State(response.TypeUrl), response);
        }

        return Stream.WriteAsync(new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce }, ct);
    }

    /// <summary>NACKs <paramref name="response"/> with an <c>error_detail</c> carrying <paramref name="message"/>; nothing of it is held.</summary>
    /// <param name="response">A response read from this stream.</param>
    /// <param name="message">The rejection reason, as a proxy would log it.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the NACK is written to the stream.</returns>
    public Task NackAsync(DeltaDiscoveryResponse response, string message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Stream.WriteAsync(new DeltaDiscoveryRequest
        {
            TypeUrl = response.TypeUrl,
            ResponseNonce = response.Nonce,
            ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = message },
        }, ct);
    }

    /// <summary>The versions held for <paramref name="typeUrl"/>, by resource name.</summary>
    /// <param name="typeUrl">The resource type.</param>
    /// <returns>A point-in-time copy; empty if nothing is held.</returns>
    public IReadOnlyDictionary<string, string> HeldVersions(string typeUrl)
    {
        lock (_types)
        {
            return _types.TryGetValue(typeUrl, out var state)
                ? state.Held.ToImmutableSortedDictionary(StringComparer.Ordinal)
                : ImmutableSortedDictionary<string, string>.Empty;
        }
    }

    /// <summary>What this client has asked for and been told for <paramref name="typeUrl"/>, or null if nothing yet.</summary>
    /// <param name="typeUrl">The resource type.</param>
    /// <returns>A point-in-time copy.</returns>
    public DeltaAdsTypeState? GetState(string typeUrl)
    {
        lock (_types)
        {
            return _types.TryGetValue(typeUrl, out var s)
                ? new DeltaAdsTypeState(typeUrl, [.. s.Names.Order(StringComparer.Ordinal)],
                    s.Held.ToImmutableSortedDictionary(StringComparer.Ordinal), s.LastNonce, s.Responses)
                : null;
        }
    }

    /// <summary>Every type this client subscribed to, with its names and held versions: what a reconnect restates.</summary>
    public IReadOnlyList<DeltaSubscription> Subscriptions
    {
        get
        {
            lock (_types)
            {
                return [.. _types.Values.Where(s => s.Sent).Select(s => new DeltaSubscription(
                    s.TypeUrl,
                    [.. s.Names.Order(StringComparer.Ordinal)],
                    s.Held.ToImmutableSortedDictionary(StringComparer.Ordinal)))];
            }
        }
    }

    /// <summary>
    /// Ends this stream and resumes its <see cref="Subscriptions"/> on a new one (see <see cref="ResumeAsync"/>),
    /// as a proxy does after losing its connection. This client is disposed if it is not already; a client
    /// disposed earlier can still reconnect.
    /// </summary>
    /// <param name="channel">The channel for the new stream; the same one when null.</param>
    /// <param name="ct">Cancels the re-subscription.</param>
    /// <returns>The new client.</returns>
    public async Task<DeltaAdsClient> ReconnectAsync(ChannelBase? channel = null, CancellationToken ct = default)
    {
        var subscriptions = Subscriptions;
        await DisposeAsync().ConfigureAwait(false);
        return await ResumeAsync(channel ?? ServerChannel, Node, subscriptions, Options, ct).ConfigureAwait(false);
    }

    private protected override async ValueTask OnResponseAsync(DeltaDiscoveryResponse response)
    {
        lock (_types)
        {
            var state = State(response.TypeUrl);
            state.LastNonce = response.Nonce;
            state.Responses++;
            if (Options.AutoAck)
            {
                Apply(state, response);
            }
        }

        if (Options.AutoAck)
        {
            await WriteAckAsync(new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce }).ConfigureAwait(false);
        }
    }

    private static void Apply(TypeState state, DeltaDiscoveryResponse response)
    {
        foreach (var resource in response.Resources)
        {
            state.Held[resource.Name] = resource.Version;
        }

        foreach (var name in response.RemovedResources)
        {
            state.Held.Remove(name);
        }
    }

    private TypeState State(string typeUrl)
    {
        if (!_types.TryGetValue(typeUrl, out var state))
        {
            _types[typeUrl] = state = new TypeState(typeUrl);
        }

        return state;
    }

    private sealed class TypeState(string typeUrl)
    {
        public string TypeUrl { get; } = typeUrl;
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Held { get; } = new(StringComparer.Ordinal);
        public bool Sent { get; set; }

        /// <summary>The type's first request subscribed to nothing: Listener and Cluster servers read that as everything.</summary>
        public bool LegacyWildcard { get; set; }

        public bool Wildcard => LegacyWildcard || Names.Contains(AdsClient.Wildcard);
        public string? LastNonce { get; set; }
        public int Responses { get; set; }
    }
}

/// <summary>One type's subscription as a delta client restates it on a new stream.</summary>
/// <param name="TypeUrl">The resource type.</param>
/// <param name="Names">Names subscribed, <see cref="AdsClient.Wildcard"/> included; empty means the legacy wildcard.</param>
/// <param name="InitialVersions">Versions held, sent as <c>initial_resource_versions</c>.</param>
public sealed record DeltaSubscription(string TypeUrl, IReadOnlyCollection<string> Names, IReadOnlyDictionary<string, string> InitialVersions);

/// <summary>What a <see cref="DeltaAdsClient"/> has asked for and holds for one type.</summary>
/// <param name="TypeUrl">The resource type.</param>
/// <param name="Names">Names subscribed, <see cref="AdsClient.Wildcard"/> included.</param>
/// <param name="HeldVersions">Resource name to the version held (applied on ACK).</param>
/// <param name="LastNonce">The nonce of the latest response of this type read off the stream.</param>
/// <param name="Responses">How many responses of this type arrived.</param>
public sealed record DeltaAdsTypeState(
    string TypeUrl,
    IReadOnlyList<string> Names,
    IReadOnlyDictionary<string, string> HeldVersions,
    string? LastNonce,
    int Responses);
