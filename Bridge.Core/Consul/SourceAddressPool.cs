namespace Bridge.Core.Consul;

/// <summary>
/// The local addresses the bridge's connections to Consul leave from. A Consul agent counts connections per client
/// address (<c>http_max_conns_per_client</c>), so each address here brings its own allowance. A new connection
/// takes the first address with fewer than <see cref="PerAddress"/> connections open, so a small catalog uses one
/// address and a large one as many as it needs.
/// </summary>
internal sealed class SourceAddressPool
{
    /// <summary>Most addresses a setting may list (a whole /8 would be sixteen million).</summary>
    public const int MaxAddresses = 1024;

    /// <summary><c>Consul:SourceAddresses</c> value: loopback addresses when the agent is on IPv4 loopback.</summary>
    public const string Auto = "auto";

    /// <summary><c>Consul:SourceAddresses</c> value: the operating system picks the address, as for any client.</summary>
    public const string None = "none";

    private readonly IPAddress[] _addresses;
    private readonly int[] _open;
    private readonly Lock _gate = new();
    private int _perAddress;
    private long _overflows;

    public SourceAddressPool(IReadOnlyList<IPAddress> addresses, int perAddress)
    {
        ArgumentOutOfRangeException.ThrowIfZero(addresses.Count);
        _addresses = [.. addresses];
        _open = new int[_addresses.Length];
        _perAddress = Math.Max(1, perAddress);
    }

    /// <summary>
    /// The addresses <see cref="Auto"/> uses when the agent is on IPv4 loopback: 127.0.0.2 to 127.0.0.254. On Linux the
    /// whole of 127.0.0.0/8 is this host; 127.0.0.1 is left to the host's other Consul clients.
    /// </summary>
    public static IReadOnlyList<IPAddress> AutoLoopback { get; } =
        [.. Enumerable.Range(2, 253).Select(n => new IPAddress(new byte[] { 127, 0, 0, (byte)n }))];

    public IReadOnlyList<IPAddress> Addresses => _addresses;

    /// <summary>Connections one address may hold.</summary>
    public int PerAddress
    {
        get => Volatile.Read(ref _perAddress);
        set => Volatile.Write(ref _perAddress, Math.Max(1, value));
    }

    /// <summary>Connections opened beyond <see cref="PerAddress"/> because every address was full (a closing connection not yet returned).</summary>
    public long Overflows => Interlocked.Read(ref _overflows);

    /// <summary>Takes an address for a new connection; disposing the lease gives it back.</summary>
    public Lease Rent()
    {
        var perAddress = PerAddress;
        lock (_gate)
        {
            var chosen = -1;
            for (var i = 0; i < _addresses.Length; i++)
            {
                if (_open[i] < perAddress)
                {
                    chosen = i;
                    break;
                }

                if (chosen < 0 || _open[i] < _open[chosen])
                {
                    chosen = i;
                }
            }

            if (_open[chosen] >= perAddress)
            {
                _overflows++;
            }

            _open[chosen]++;
            return new Lease(this, chosen);
        }
    }

    /// <summary>Open connections per address, for diagnostics; addresses with none are left out.</summary>
    public IReadOnlyDictionary<IPAddress, int> Open()
    {
        lock (_gate)
        {
            var open = new Dictionary<IPAddress, int>();
            for (var i = 0; i < _addresses.Length; i++)
            {
                if (_open[i] > 0)
                {
                    open[_addresses[i]] = _open[i];
                }
            }

            return open;
        }
    }

    /// <summary>
    /// The pool <paramref name="options"/> asks for, or null when the operating system picks the address; then
    /// <paramref name="reason"/> says why, for the start-up log.
    /// </summary>
    public static SourceAddressPool? For(ConsulOptions options, int perAddress, out string reason)
    {
        if (!TryParse(options.SourceAddresses, out var listed, out var error))
        {
            throw new ArgumentException($"Consul:SourceAddresses: {error}");
        }

        if (listed is { Count: 0 })
        {
            reason = "Consul:SourceAddresses is none";
            return null;
        }

        if (listed is not null)
        {
            reason = "Consul:SourceAddresses";
            return new SourceAddressPool(listed, perAddress);
        }

        if (!Uri.TryCreate(options.Address, UriKind.Absolute, out var uri) || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var agent))
        {
            reason = "the agent's address is a name, not an IPv4 loopback address";
            return null;
        }

        if (agent.AddressFamily == AddressFamily.InterNetworkV6 && IPAddress.IsLoopback(agent))
        {
            reason = "IPv6 loopback has one address, ::1";
            return null;
        }

        if (agent.AddressFamily != AddressFamily.InterNetwork || !IPAddress.IsLoopback(agent))
        {
            reason = "the agent is not on this host's loopback";
            return null;
        }

        if (!OperatingSystem.IsLinux())
        {
            reason = "only Linux routes all of 127.0.0.0/8 to this host";
            return null;
        }

        if (CannotBind(AutoLoopback[0]) is { } failure)
        {
            reason = $"binding {AutoLoopback[0]} failed ({failure})";
            return null;
        }

        reason = "the agent is on loopback";
        return new SourceAddressPool(AutoLoopback, perAddress);
    }

    /// <summary>
    /// Reads <c>Consul:SourceAddresses</c>: <see cref="Auto"/> gives null, <see cref="None"/> an empty list, otherwise a
    /// comma-separated list of IP addresses and IPv4 CIDR blocks (every host address of the block).
    /// </summary>
    public static bool TryParse(string? value, out IReadOnlyList<IPAddress>? addresses, out string error)
    {
        addresses = null;
        error = "";
        var text = value?.Trim() ?? "";
        if (text.Length == 0 || text.Equals(Auto, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (text.Equals(None, StringComparison.OrdinalIgnoreCase))
        {
            addresses = [];
            return true;
        }

        var list = new List<IPAddress>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                if (!IPAddress.TryParse(part, out var single))
                {
                    error = $"'{part}' is not an IP address; accepted: auto, none, or IP addresses and IPv4 CIDR blocks separated by commas";
                    return false;
                }

                list.Add(single);
                continue;
            }

            if (!IPAddress.TryParse(part[..slash], out var network) || network.AddressFamily != AddressFamily.InterNetwork
                || !int.TryParse(part[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
            {
                error = $"'{part}' is not an IPv4 CIDR block such as 127.0.1.0/24";
                return false;
            }

            var size = 1L << (32 - prefix);
            if (size > MaxAddresses + 2)
            {
                error = $"'{part}' holds more than {MaxAddresses} addresses";
                return false;
            }

            var first = ToUInt32(network) & ~(uint)(size - 1);
            // Network and broadcast addresses are no hosts, except in /31 and /32.
            var (from, to) = size > 2 ? (first + 1, first + (uint)size - 2) : (first, first + (uint)size - 1);
            for (var a = from; a <= to; a++)
            {
                list.Add(new IPAddress(new[] { (byte)(a >> 24), (byte)(a >> 16), (byte)(a >> 8), (byte)a }));
            }
        }

        if (list.Count == 0)
        {
            error = "no address listed; accepted: auto, none, or IP addresses and IPv4 CIDR blocks separated by commas";
            return false;
        }

        if (list.Count > MaxAddresses)
        {
            error = $"{list.Count} addresses; at most {MaxAddresses}";
            return false;
        }

        if (list.Select(a => a.AddressFamily).Distinct().Count() > 1)
        {
            error = "mixes IPv4 and IPv6 addresses; the agent is reached over one of them";
            return false;
        }

        addresses = list.Distinct().ToList();
        return true;
    }

    private static uint ToUInt32(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    private static string? CannotBind(IPAddress address)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, 0));
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
    }

    /// <summary>One connection's hold on an address; given back once, when disposed.</summary>
    internal sealed class Lease : IDisposable
    {
        private readonly SourceAddressPool _pool;
        private readonly int _slot;
        private int _returned;

        internal Lease(SourceAddressPool pool, int slot)
        {
            _pool = pool;
            _slot = slot;
        }

        public IPAddress Address => _pool._addresses[_slot];

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                lock (_pool._gate)
                {
                    _pool._open[_slot]--;
                }
            }
        }
    }
}
