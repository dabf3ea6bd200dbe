using Grpc.Net.Client;

namespace Bridge.Testing.Ads;

/// <summary>Channels suited to many long-lived ADS streams.</summary>
public static class AdsChannels
{
    /// <summary>
    /// A plaintext HTTP/2 channel to <paramref name="address"/> that opens another connection when one reaches the
    /// server's concurrent-stream limit (so thousands of streams fit on one channel), keeps idle connections, and
    /// accepts responses of any size (a full CDS answer for a large catalog exceeds gRPC's 4 MB default).
    /// </summary>
    /// <param name="address">The server, e.g. <c>http://127.0.0.1:18000</c>.</param>
    /// <returns>A channel the caller disposes.</returns>
    public static GrpcChannel Create(Uri address) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            },
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });

    /// <summary>A channel as <see cref="Create(Uri)"/> to the loopback address on <paramref name="port"/>.</summary>
    /// <param name="port">The server's port on 127.0.0.1.</param>
    /// <returns>A channel the caller disposes.</returns>
    public static GrpcChannel Create(int port) =>
        Create(new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)));
}
