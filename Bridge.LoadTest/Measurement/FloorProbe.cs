using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Bridge.Testing.Security;

namespace Bridge.LoadTest.Measurement;

/// <summary>
/// The floor: how fast the dev agent itself answers a blocking query on a service that changes, measured from the
/// harness as the bridge would see it (same protocol, gzip accepted, body read whole). Churn arms a query on a
/// service well before changing it; change to the query's return is the least any Consul client could achieve, so
/// the bridge's propagation is reported as a multiple of it.
/// </summary>
internal sealed class FloorProbe : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<FloorQuery> _queries = [];
    private long _armed;
    private long _bytes;

    public FloorProbe(Uri agent, X509Certificate2? ca)
    {
        var handler = LoopbackSources.Handler(LoopbackSources.Probe);
        handler.AutomaticDecompression = DecompressionMethods.All;
        handler.EnableMultipleHttp2Connections = true;
        handler.PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5);
        if (ca is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = PrivateRoots.ServerCheck([ca], matchName: true) };
        }

        _http = new HttpClient(handler)
        {
            BaseAddress = agent,
            Timeout = Timeout.InfiniteTimeSpan,
            // Over HTTPS ALPN picks HTTP/2, as it does for the bridge; plain HTTP stays HTTP/1.1.
            DefaultRequestVersion = ca is null ? HttpVersion.Version11 : HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
    }

    /// <summary>Queries armed so far: requests the agent counts that are not the bridge's.</summary>
    public long Armed => Interlocked.Read(ref _armed);

    /// <summary>JSON bytes the floor's queries received: agent output that is not the bridge's.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Starts a blocking query on <paramref name="service"/> that returns at the first write to it after <paramref name="index"/>.</summary>
    public FloorQuery Arm(string service, ulong index)
    {
        Interlocked.Increment(ref _armed);
        var query = new FloorQuery();
        query.Returned = RunAsync(
            string.Create(CultureInfo.InvariantCulture, $"/v1/health/service/{service}?index={index}&wait={(int)Wait.TotalSeconds}s"),
            _stop.Token);
        lock (_queries)
        {
            _queries.Add(query);
        }

        return query;
    }

    /// <summary>
    /// Change-to-return latencies of the queries whose change was made before they returned; a query that returned
    /// earlier (it was not yet parked, or the service changed twice) or never is not a sample.
    /// </summary>
    public (IReadOnlyList<double> Milliseconds, int Discarded) Collect()
    {
        var samples = new List<double>();
        var discarded = 0;
        lock (_queries)
        {
            foreach (var query in _queries)
            {
                if (query.ChangedAt != 0 && query.Returned.IsCompletedSuccessfully && query.Returned.Result >= query.ChangedAt)
                {
                    samples.Add(Stopwatch.GetElapsedTime(query.ChangedAt, query.Returned.Result).TotalMilliseconds);
                }
                else
                {
                    discarded++;
                }
            }

            _queries.Clear();
        }

        return (samples, discarded);
    }

    private async Task<long> RunAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        Interlocked.Add(ref _bytes, body.Length);
        return Stopwatch.GetTimestamp();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _http.Dispose();
        _stop.Dispose();
    }
}

/// <summary>One armed floor query.</summary>
internal sealed class FloorQuery
{
    /// <summary>Stopwatch timestamp at which the body was read.</summary>
    public Task<long> Returned { get; set; } = Task.FromResult(0L);

    /// <summary>Stopwatch timestamp of the change it waits for; 0 until churn makes it.</summary>
    public long ChangedAt { get; set; }
}
