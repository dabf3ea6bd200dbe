using System.Net.Sockets;
using Grpc.Net.Client;

namespace Bridge.LoadTest.Fleet;

/// <summary>
/// Connections from distinct loopback source addresses (all of 127.0.0.0/8 is local on Linux). A fleet of proxies
/// comes from many hosts, and the bridge limits streams per peer address (<c>Ads:MaxStreamsPerPeer</c>), as Consul
/// limits connections per client address: spreading the simulated proxies over addresses keeps the bridge on its
/// default settings, and keeps the harness's own Consul queries out of the bridge's connection count.
/// </summary>
internal static class LoopbackSources
{
    /// <summary>
    /// The address the harness's direct Consul queries (the floor) come from: apart from the bridge's, which leave from
    /// 127.0.0.1 (HTTPS) or 127.0.0.2 upward (plain HTTP to an agent on loopback).
    /// </summary>
    public static IPAddress Probe { get; } = IPAddress.Parse("127.1.0.2");

    /// <summary>The address the change-feed probe's query comes from, apart from the bridge's and the floor's.</summary>
    public static IPAddress Feed { get; } = IPAddress.Parse("127.1.0.1");

    /// <summary>Whether <paramref name="address"/> (as the agent reports it) is one of the harness's own sources, not the bridge's.</summary>
    public static bool IsHarness(string address) => address == Probe.ToString() || address == Feed.ToString();

    /// <summary>The address of proxy group <paramref name="group"/>: 127.0.1.1, 127.0.1.2, ...</summary>
    public static IPAddress ForGroup(int group) =>
        IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"127.0.{1 + (group / 250)}.{1 + (group % 250)}"));

    /// <summary>A handler whose connections leave from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler Handler(IPAddress source) => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// A plaintext HTTP/2 channel to the ADS server on 127.0.0.1:<paramref name="port"/> from <paramref name="source"/>,
    /// set up as <see cref="Bridge.Testing.Ads.AdsChannels.Create(Uri)"/> is: another connection whenever one is full of
    /// streams, idle connections kept, no message size limit.
    /// </summary>
    public static GrpcChannel AdsChannel(int port, IPAddress source)
    {
        var handler = Handler(source);
        handler.EnableMultipleHttp2Connections = true;
        handler.PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan;
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(60);
        handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        return GrpcChannel.ForAddress(new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)), new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
    }
}
