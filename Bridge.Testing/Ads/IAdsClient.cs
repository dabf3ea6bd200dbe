namespace Bridge.Testing.Ads;

/// <summary>What a state-of-the-world and a delta ADS client have in common: subscribe, read responses, end.</summary>
/// <typeparam name="TResponse">The stream's response message.</typeparam>
public interface IAdsClient<TResponse> : IAsyncDisposable
    where TResponse : class
{
    /// <summary>Every response in arrival order with its receive time.</summary>
    ChannelReader<Received<TResponse>> Responses { get; }

    /// <summary>Completes with the stream's final status once the server ends it or the client is disposed.</summary>
    Task<Status> Completion { get; }

    /// <summary>
    /// Asks for <paramref name="names"/> of <paramref name="typeUrl"/>: on a state-of-the-world stream the complete
    /// list, restated; on a delta stream names added to the subscription. Empty on a type's first request: the wildcard.
    /// </summary>
    /// <param name="typeUrl">The resource type.</param>
    /// <param name="names">The names.</param>
    /// <param name="ct">Cancels the request.</param>
    /// <returns>Completes once the request is written.</returns>
    Task SubscribeAsync(string typeUrl, IReadOnlyCollection<string> names, CancellationToken ct = default);

    /// <summary>The next response, waiting at most <paramref name="timeout"/>.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>The response.</returns>
    ValueTask<TResponse> NextAsync(TimeSpan timeout, CancellationToken ct = default);

    /// <summary>Accepts <paramref name="response"/>.</summary>
    /// <param name="response">The response to acknowledge.</param>
    /// <param name="ct">Cancels the send.</param>
    /// <returns>Completes once the request is written.</returns>
    Task AckAsync(TResponse response, CancellationToken ct = default);
}

/// <summary>What tests do with either kind of ADS client.</summary>
public static class AdsClientSteps
{
    /// <summary>Subscribes, takes the answer and ACKs it: how a test brings a stream to a known state.</summary>
    /// <typeparam name="TResponse">The stream's response message.</typeparam>
    /// <param name="client">The client.</param>
    /// <param name="typeUrl">The resource type.</param>
    /// <param name="names">The names to ask for.</param>
    /// <param name="timeout">How long the answer may take.</param>
    /// <returns>The answer, acknowledged.</returns>
    public static async Task<TResponse> SubscribeAckedAsync<TResponse>(this IAdsClient<TResponse> client, string typeUrl, IReadOnlyCollection<string> names, TimeSpan timeout)
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.SubscribeAsync(typeUrl, names).ConfigureAwait(false);
        var response = await client.NextAsync(timeout).ConfigureAwait(false);
        await client.AckAsync(response).ConfigureAwait(false);
        return response;
    }
}
