using Grpc.Core;
using System.Threading.Channels;

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

    /// <summary>Subscribes, takes the answer and ACKs it: how a test brings a stream to a known state.</summary>
    /// <param name="typeUrl">The resource type.</param>
    /// <param name="names">The names to ask for.</param>
    /// <param name="timeout">How long the answer may take.</param>
    /// <returns>The answer, acknowledged.</returns>
    Task<TResponse> SubscribeAckedAsync(string typeUrl, IReadOnlyCollection<string> names, TimeSpan timeout);
}
