namespace Bridge.Core.Consul;

/// <summary>
/// The bridge's connections to Consul, for the host that builds the HTTP transport: the local addresses they leave
/// from (over plain HTTP to an agent on loopback, spread over 127.0.0.2 upward so that each brings its own
/// <c>http_max_conns_per_client</c> allowance) and how many queries may be in flight. Pass the same instance to
/// <see cref="BridgePipeline.Create"/>, which reads the agent's own limit before the watch starts.
/// </summary>
public sealed class ConsulConnections
{
    private ConsulConnections(ConnectionBudget budget) => Budget = budget;

    /// <summary>Queries allowed in flight now (over plain HTTP, before the agent's own limit is read: what Consul's default allows).</summary>
    public int QuerySlots => Budget.Slots.Capacity;

    /// <summary>The local addresses connections leave from, in the order they are used; null when the operating system picks.</summary>
    public IReadOnlyList<IPAddress>? SourceAddresses => Budget.Sources?.Addresses;

    /// <summary>
    /// For <see cref="SocketsHttpHandler.ConnectCallback"/>: opens each new connection from the first source address
    /// with room and gives the address back when the connection closes. Null when the operating system picks.
    /// </summary>
    public Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? ConnectCallback =>
        Budget.Sources is { } sources ? (context, ct) => ConnectFromAsync(sources, context, ct) : null;

    internal ConnectionBudget Budget { get; }

    /// <summary>Consul's HTTPS endpoint answered over HTTP/1.1: queries take turns on the connections the transport allows.</summary>
    public void Http2Refused() => Budget.Http2Refused();

    /// <summary>Works out the source addresses and the query slots <paramref name="options"/> allow.</summary>
    /// <param name="options">The Consul settings.</param>
    /// <param name="loggers">Where the budget and the freshness it allows are reported.</param>
    /// <param name="time">Paces the reads of the agent's limit.</param>
    public static ConsulConnections Create(ConsulOptions options, ILoggerFactory loggers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        return new(new ConnectionBudget(options, loggers.CreateLogger<ConnectionBudget>(), time));
    }

    internal static ConsulConnections For(ConnectionBudget budget) => new(budget);

    private static async ValueTask<Stream> ConnectFromAsync(SourceAddressPool sources, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var lease = sources.Rent();
        var socket = new Socket(lease.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(lease.Address, 0));
            await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
            return new LeasedNetworkStream(socket, lease);
        }
        catch
        {
            socket.Dispose();
            lease.Dispose();
            throw;
        }
    }

    /// <summary>A connection that gives its source address back to the pool when it is closed.</summary>
    private sealed class LeasedNetworkStream(Socket socket, SourceAddressPool.Lease lease) : NetworkStream(socket, ownsSocket: true)
    {
        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            lease.Dispose();
        }
    }
}
