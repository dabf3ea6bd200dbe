using System.Collections.Concurrent;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;
using Microsoft.AspNetCore.Connections;

namespace Bridge.DevAgent.Connections;

/// <summary>
/// Kestrel connection middleware doing what <c>hashicorp/go-connlimit</c> does for Consul: count
/// concurrent TCP connections per client IP and, over <c>http_max_conns_per_client</c>, write the raw
/// 429 before any HTTP parsing and close. It also keeps every open connection so "down" can drop them.
/// </summary>
internal sealed partial class ConnectionGate
{
    // After the 429 the client's unread request could turn our close into a reset that swallows the
    // response; draining briefly lets the 429 arrive, as go-connlimit's short write deadline does.
    private static readonly TimeSpan DrainTime = TimeSpan.FromMilliseconds(100);

    private readonly ConcurrentDictionary<string, ConnectionContext> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, int> _perIp = [];
    private readonly Dictionary<IPAddress, int> _peakByIp = [];
    private readonly Lock _gate = new();
    private readonly int _defaultLimit;
    private readonly FaultKnobs _faults;
    private readonly RequestMetrics _metrics;
    private readonly ILogger _logger;
    private int _total;
    private int _peak;
    private int _peakPerIp;
    private long _rejections;

    public ConnectionGate(int defaultLimit, FaultKnobs faults, RequestMetrics metrics, ILogger logger)
    {
        _defaultLimit = defaultLimit;
        _faults = faults;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The limit new connections meet: the fault override, else the agent's setting; 0 means none.</summary>
    public int Limit => _faults.MaxConnsPerClient ?? _defaultLimit;

    public int Peak => Volatile.Read(ref _peak);

    public int PeakPerIp => Volatile.Read(ref _peakPerIp);

    public int Open => Volatile.Read(ref _total);

    public long Rejections => Interlocked.Read(ref _rejections);

    public async Task HandleAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var ip = ClientIp(connection);
        if (!TryAdmit(ip))
        {
            Interlocked.Increment(ref _rejections);
            _metrics.CountTooManyRequests();
            Log.TooManyConnections(_logger, ip.ToString(), Limit);
            await RefuseAsync(connection);
            return;
        }

        _open[connection.ConnectionId] = connection;
        try
        {
            await next(connection);
        }
        finally
        {
            _open.TryRemove(connection.ConnectionId, out _);
            Release(ip);
        }
    }

    /// <summary>Aborts every open connection but <paramref name="exceptConnectionId"/>.</summary>
    public void AbortAll(string? exceptConnectionId)
    {
        foreach (var (id, connection) in _open)
        {
            if (id != exceptConnectionId)
            {
                _faults.CountDownAbort();
                connection.Abort(new ConnectionAbortedException("The dev agent is down."));
            }
        }
    }

    public IReadOnlyDictionary<string, int> PerIp()
    {
        lock (_gate)
        {
            return _perIp.ToDictionary(p => p.Key.ToString(), p => p.Value, StringComparer.Ordinal);
        }
    }

    public IReadOnlyDictionary<string, int> PeakPerIpByAddress()
    {
        lock (_gate)
        {
            return _peakByIp.ToDictionary(p => p.Key.ToString(), p => p.Value, StringComparer.Ordinal);
        }
    }

    private static IPAddress ClientIp(ConnectionContext connection)
    {
        var ip = (connection.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
    }

    private static async Task RefuseAsync(ConnectionContext connection)
    {
        var output = connection.Transport.Output;
        await output.WriteAsync(ConsulErrors.TooManyConnectionsResponse);
        await output.CompleteAsync();
        using var drain = new CancellationTokenSource(DrainTime);
        try
        {
            var input = connection.Transport.Input;
            while (true)
            {
                var read = await input.ReadAsync(drain.Token);
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The client kept the connection open; closing it now is what Consul does anyway.
        }
    }

    private bool TryAdmit(IPAddress ip)
    {
        var limit = Limit;
        lock (_gate)
        {
            var current = _perIp.GetValueOrDefault(ip);

            // go-connlimit refuses when the open count has already reached the limit.
            if (limit > 0 && current >= limit)
            {
                return false;
            }

            _perIp[ip] = current + 1;
            _total++;
            _peak = Math.Max(_peak, _total);
            _peakPerIp = Math.Max(_peakPerIp, current + 1);
            _peakByIp[ip] = Math.Max(_peakByIp.GetValueOrDefault(ip), current + 1);
            return true;
        }
    }

    private void Release(IPAddress ip)
    {
        lock (_gate)
        {
            _total--;
            if (_perIp.TryGetValue(ip, out var current) && current > 1)
            {
                _perIp[ip] = current - 1;
            }
            else
            {
                _perIp.Remove(ip);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Too many concurrent connections from {ClientIp} (limit {Limit}); sent 429 and closed")]
        public static partial void TooManyConnections(ILogger logger, string clientIp, int limit);
    }
}
