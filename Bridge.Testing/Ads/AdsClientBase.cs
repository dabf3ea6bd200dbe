namespace Bridge.Testing.Ads;

/// <summary>
/// The stream under both ADS clients: opened on a channel, the node sent on its first request, responses read on a
/// background loop, time-stamped and queued; raw sends and disposal. Each protocol's client adds its own per-type
/// bookkeeping and answers responses in <see cref="OnResponseAsync"/>.
/// </summary>
/// <typeparam name="TRequest">The stream's request message.</typeparam>
/// <typeparam name="TResponse">The stream's response message.</typeparam>
public abstract class AdsClientBase<TRequest, TResponse> : IAdsClient<TResponse>
    where TRequest : class
    where TResponse : class
{
    private protected AdsClientBase(
        ChannelBase channel,
        Node node,
        AdsClientOptions? options,
        Func<AggregatedDiscoveryService.AggregatedDiscoveryServiceClient, AsyncDuplexStreamingCall<TRequest, TResponse>> open,
        Action<TRequest> setNodeIfMissing,
        string description)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(node);
        ServerChannel = channel;
        Options = options ?? AdsClientOptions.Default;
        Node = node;
        Stream = new AdsStreamCore<TRequest, TResponse>(
            open(new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel)), setNodeIfMissing, OnResponseAsync, description);
    }

    /// <summary>The node this stream identifies as.</summary>
    public Node Node { get; }

    /// <summary>Every response in arrival order with its receive time; the same queue <see cref="NextAsync"/> reads.</summary>
    public ChannelReader<Received<TResponse>> Responses => Stream.Responses;

    /// <summary>Completes with the stream's final status once the server ends it or the client is disposed.</summary>
    public Task<Status> Completion => Stream.Completion;

    private protected ChannelBase ServerChannel { get; }

    private protected AdsClientOptions Options { get; }

    private protected AdsStreamCore<TRequest, TResponse> Stream { get; }

    /// <inheritdoc />
    public abstract Task SubscribeAsync(string typeUrl, IReadOnlyCollection<string> names, CancellationToken ct = default);

    /// <inheritdoc />
    public abstract Task AckAsync(TResponse response, CancellationToken ct = default);

    /// <summary>
    /// Sends <paramref name="request"/> exactly as given (the node is added only if it is the stream's first
    /// request and has none). The client's bookkeeping is not changed: use it for malformed or stale requests.
    /// </summary>
    /// <param name="request">The request to write.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes when the request is written to the stream.</returns>
    public Task SendAsync(TRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Stream.WriteAsync(request, ct);
    }

    /// <summary>The next response not yet read.</summary>
    /// <param name="timeout">How long to wait before failing.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>The response.</returns>
    /// <exception cref="TimeoutException">No response arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="RpcException">The stream ended; carries its final status.</exception>
    public async ValueTask<TResponse> NextAsync(TimeSpan timeout, CancellationToken ct = default) =>
        (await Stream.NextReceivedAsync(timeout, ct).ConfigureAwait(false)).Response;

    /// <summary>Like <see cref="NextAsync"/>, with the time the response was read off the stream.</summary>
    /// <param name="timeout">How long to wait before failing.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>The response and its receive timestamp.</returns>
    public ValueTask<Received<TResponse>> NextReceivedAsync(TimeSpan timeout, CancellationToken ct = default) =>
        Stream.NextReceivedAsync(timeout, ct);

    /// <summary>Takes the next response if one has already arrived.</summary>
    /// <param name="response">The response, when the result is true.</param>
    /// <returns>Whether a response was waiting.</returns>
    public bool TryNext(out TResponse response) => Stream.TryNext(out response);

    /// <summary>Cancels the stream, as a proxy that goes away does, and waits for the read loop to end.</summary>
    /// <returns>Completes when the stream is closed.</returns>
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Stream.DisposeAsync();
    }

    /// <summary>The client's bookkeeping for a response just read, and its automatic ACK when it sends one.</summary>
    /// <param name="response">The response.</param>
    /// <returns>Completes when the response is accounted for.</returns>
    private protected abstract ValueTask OnResponseAsync(TResponse response);

    /// <summary>Writes an automatic ACK; a stream that is ending drops it, and the read loop reports how it ended.</summary>
    /// <param name="request">The ACK.</param>
    /// <returns>Completes when written or dropped.</returns>
    private protected async ValueTask WriteAckAsync(TRequest request)
    {
        try
        {
            await Stream.WriteAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or OperationCanceledException)
        {
            // The stream is ending; the read loop reports how.
        }
    }
}
