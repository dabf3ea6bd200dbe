namespace Bridge.LoadTest.Measurement;

/// <summary>
/// What a change feed would cost the agent: one blocking query on <c>/v1/health/state/any</c>, re-issued at each
/// return as a watcher of the feed would, counting returns and the JSON bytes each carries. (The feed only says that
/// some check changed, not which service: a watcher would still read each changed service, as the bridge does.)
/// </summary>
internal sealed class ChangeFeedProbe : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _returns;
    private long _bytes;

    public ChangeFeedProbe(Uri agent)
    {
        var handler = LoopbackSources.Handler(LoopbackSources.Feed);
        handler.AutomaticDecompression = DecompressionMethods.All;
        _http = new HttpClient(handler) { BaseAddress = agent, Timeout = Timeout.InfiniteTimeSpan };
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Requests made, each counted by the agent too.</summary>
    public long Requests => Interlocked.Read(ref _returns);

    /// <summary>JSON bytes received (before gzip, as the agent serialised them).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    private async Task RunAsync(CancellationToken ct)
    {
        ulong index = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var path = index == 0 ? "/v1/health/state/any" : string.Create(CultureInfo.InvariantCulture, $"/v1/health/state/any?index={index}&wait=60s");
                using var response = await _http.GetAsync(path, ct).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                Interlocked.Increment(ref _returns);
                Interlocked.Add(ref _bytes, body.Length);
                index = ulong.Parse(response.Headers.GetValues("X-Consul-Index").First(), CultureInfo.InvariantCulture);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _http.Dispose();
        _stop.Dispose();
    }
}
