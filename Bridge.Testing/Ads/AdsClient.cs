namespace Bridge.Testing.Ads;

/// <summary>
/// A state-of-the-world client of <c>AggregatedDiscoveryService/StreamAggregatedResources</c>: one stream, with
/// the per-type bookkeeping a proxy keeps (subscribed names, last nonce, last accepted version) so that
/// subscriptions, ACKs and NACKs are well-formed by default, and a raw <see cref="AdsClientBase{TRequest, TResponse}.SendAsync"/> for requests that
/// must not be. Responses are read on a background loop, time-stamped and queued; read them with
/// <see cref="AdsClientBase{TRequest, TResponse}.NextAsync"/> or <see cref="AdsClientBase{TRequest, TResponse}.Responses"/>.
/// </summary>
/// <remarks>
/// Cheap enough to open thousands of over a few channels (see <see cref="AdsChannels"/>): one read loop and one
/// unbounded queue per stream, no per-response work beyond the bookkeeping. Thread-safe.
/// </remarks>
public sealed class AdsClient : AdsClientBase<DiscoveryRequest, DiscoveryResponse>
{
    /// <summary>The resource name that asks for every resource of a type the server chooses for this node.</summary>
    public const string Wildcard = "*";

    private readonly Dictionary<string, TypeState> _types = new(StringComparer.Ordinal);

    /// <summary>Opens a stream on <paramref name="channel"/>; nothing is sent until the first request.</summary>
    /// <param name="channel">The channel to the ADS server; several clients may share one.</param>
    /// <param name="node">Sent on the stream's first request (see <see cref="AdsNodes"/>).</param>
    /// <param name="options">Client behaviour; <see cref="AdsClientOptions.Default"/> when null.</param>
    public AdsClient(ChannelBase channel, Node node, AdsClientOptions? options = null)
        : base(channel, node, options, client => client.StreamAggregatedResources(), request => request.Node ??= node, $"the SotW ADS stream of node '{node.Id}'")
    {
    }

    /// <summary>
    /// Sets the complete subscription for <paramref name="typeUrl"/> and sends it, as a proxy restates its names on
    /// every request: the last accepted version and the latest received nonce of that type go with it.
    /// </summary>
    /// <param name="typeUrl">The resource type, e.g. <c>Bridge.Core.Xds.TypeUrls.Cluster</c>.</param>
    /// <param name="names">Every name wanted; <see cref="Wildcard"/> for all, empty for the legacy wildcard or for none.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the request is written to the stream.</returns>
    public override Task SubscribeAsync(string typeUrl, IReadOnlyCollection<string> names, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        DiscoveryRequest request;
        lock (_types)
        {
            var state = State(typeUrl);
            state.Names = [.. names];
            request = Request(state, state.AcceptedVersion, state.LastNonce);
        }

        return Stream.WriteAsync(request, ct);
    }

    /// <summary>ACKs <paramref name="response"/>: its version and nonce, restating the current names of its type.</summary>
    /// <param name="response">A response read from this stream.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the ACK is written to the stream.</returns>
    public override Task AckAsync(DiscoveryResponse response, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        DiscoveryRequest request;
        lock (_types)
        {
            var state = State(response.TypeUrl);
            state.AcceptedVersion = response.VersionInfo;
            request = Request(state, response.VersionInfo, response.Nonce);
        }

        return Stream.WriteAsync(request, ct);
    }

    /// <summary>
    /// NACKs <paramref name="response"/>: its nonce, the previously accepted version (empty if none) and an
    /// <c>error_detail</c> carrying <paramref name="message"/>, restating the current names of its type.
    /// </summary>
    /// <param name="response">A response read from this stream.</param>
    /// <param name="message">The rejection reason, as a proxy would log it.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the NACK is written to the stream.</returns>
    public Task NackAsync(DiscoveryResponse response, string message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        DiscoveryRequest request;
        lock (_types)
        {
            var state = State(response.TypeUrl);
            request = Request(state, state.AcceptedVersion, response.Nonce);
        }

        request.ErrorDetail = new Google.Rpc.Status { Code = (int)StatusCode.InvalidArgument, Message = message };
        return Stream.WriteAsync(request, ct);
    }

    /// <summary>What this client has asked for and been told for <paramref name="typeUrl"/>, or null if nothing yet.</summary>
    /// <param name="typeUrl">The resource type.</param>
    /// <returns>A point-in-time copy.</returns>
    public AdsTypeState? GetState(string typeUrl)
    {
        lock (_types)
        {
            return _types.TryGetValue(typeUrl, out var s)
                ? new AdsTypeState(typeUrl, s.Names, s.LastNonce, s.LastVersion, s.AcceptedVersion, s.Responses)
                : null;
        }
    }

    /// <summary>
    /// Ends this stream and opens a new one on the same node, restating every type's names with the version it
    /// last accepted and no nonce, as a proxy does after losing its connection. This client is disposed if it is
    /// not already; its bookkeeping outlives the stream, so a client disposed earlier (the proxy went away while
    /// the catalog changed) can still reconnect.
    /// </summary>
    /// <param name="channel">The channel for the new stream; the same one when null.</param>
    /// <param name="ct">Cancels the re-subscription.</param>
    /// <returns>The new client; its first responses are the server's answers to the restated subscriptions.</returns>
    public async Task<AdsClient> ReconnectAsync(ChannelBase? channel = null, CancellationToken ct = default)
    {
        List<DiscoveryRequest> restate;
        lock (_types)
        {
            restate = [.. _types.Values.Where(s => s.Subscribed).Select(s => Request(s, s.AcceptedVersion, nonce: null))];
        }

        await DisposeAsync().ConfigureAwait(false);
        var next = new AdsClient(channel ?? ServerChannel, Node, Options);
        foreach (var request in restate)
        {
            lock (next._types)
            {
                var state = next.State(request.TypeUrl);
                state.Names = [.. request.ResourceNames];
                state.AcceptedVersion = request.VersionInfo;
            }

            await next.Stream.WriteAsync(request, ct).ConfigureAwait(false);
        }

        return next;
    }

    private protected override async ValueTask OnResponseAsync(DiscoveryResponse response)
    {
        DiscoveryRequest? ack = null;
        lock (_types)
        {
            var state = State(response.TypeUrl);
            state.LastNonce = response.Nonce;
            state.LastVersion = response.VersionInfo;
            state.Responses++;
            if (Options.AutoAck)
            {
                state.AcceptedVersion = response.VersionInfo;
                ack = Request(state, response.VersionInfo, response.Nonce);
            }
        }

        if (ack is not null)
        {
            await WriteAckAsync(ack).ConfigureAwait(false);
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

    private static DiscoveryRequest Request(TypeState state, string? version, string? nonce)
    {
        state.Subscribed = true;
        return new DiscoveryRequest
        {
            TypeUrl = state.TypeUrl,
            VersionInfo = version ?? "",
            ResponseNonce = nonce ?? "",
            ResourceNames = { state.Names },
        };
    }

    private sealed class TypeState(string typeUrl)
    {
        public string TypeUrl { get; } = typeUrl;
        public string[] Names { get; set; } = [];
        public bool Subscribed { get; set; }
        public string? LastNonce { get; set; }
        public string? LastVersion { get; set; }
        public string? AcceptedVersion { get; set; }
        public int Responses { get; set; }
    }
}

/// <summary>What an <see cref="AdsClient"/> has asked for and been told for one type.</summary>
/// <param name="TypeUrl">The resource type.</param>
/// <param name="ResourceNames">The names last subscribed, as sent.</param>
/// <param name="LastNonce">The nonce of the latest response of this type read off the stream.</param>
/// <param name="LastVersion">The version of that response.</param>
/// <param name="AcceptedVersion">The version last ACKed; what a NACK or a reconnect reports.</param>
/// <param name="Responses">How many responses of this type arrived.</param>
public sealed record AdsTypeState(
    string TypeUrl,
    IReadOnlyList<string> ResourceNames,
    string? LastNonce,
    string? LastVersion,
    string? AcceptedVersion,
    int Responses);
