using System.Diagnostics;
using Bridge.Core.Consul.ConfigEntries;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bridge.Core.Consul;

/// <summary>
/// The two reads the bridge needs from Consul's HTTP API, typed. Each call either returns a fully
/// decoded answer or throws <see cref="ConsulException"/>; nothing half-read ever escapes.
/// </summary>
internal sealed class ConsulClient
{
    internal const string ServicesEndpoint = "/v1/catalog/services";
    internal const string HealthServiceEndpoint = "/v1/health/service";
    internal const string ConfigEndpoint = "/v1/config";
    internal const string DatacentersEndpoint = "/v1/catalog/datacenters";
    internal const string AgentSelfEndpoint = "/v1/agent/self";

    private readonly HttpClient _http;
    private readonly ConsulOptions _options;
    private readonly ILogger _logger;

    public ConsulClient(HttpClient http, ConsulOptions options, ILogger<ConsulClient>? logger = null)
    {
        _http = http;
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public Task<QueryResult<Dictionary<string, string[]?>>> GetServicesAsync(QueryOptions query, CancellationToken ct) =>
        GetAsync(ServicesEndpoint, ServicesEndpoint, query, body => (Whole(body, ConsulJsonContext.Default.DictionaryStringStringArray), NoneSkipped), ct);

    private static readonly IReadOnlyList<SkippedInstance> NoneSkipped = [];

    /// <summary>
    /// A service's instances. Consul accepts registrations that our model cannot hold (a field of an unexpected
    /// type); such an entry is left out and described in <see cref="QueryResult{T}.Skipped"/>, and every other entry
    /// of the answer is kept.
    /// </summary>
    public Task<QueryResult<HealthServiceEntry[]>> GetHealthServiceAsync(string service, QueryOptions query, CancellationToken ct) =>
        GetAsync($"{HealthServiceEndpoint}/{Uri.EscapeDataString(service)}", HealthServiceEndpoint, query, HealthEntries.Parse, ct);

    /// <summary>The config entries of one kind; an entry that cannot be read is left out and described in the list.</summary>
    public Task<QueryResult<ConfigEntryList>> GetConfigEntriesAsync(ConfigEntryKind kind, QueryOptions query, CancellationToken ct) =>
        GetAsync($"{ConfigEndpoint}/{kind.ApiName()}", $"{ConfigEndpoint}/{kind.ApiName()}", query, body => (ConfigEntryDecoder.Decode(kind, body), NoneSkipped), ct);

    /// <summary>The datacenters Consul knows, the agent's own first (Consul sorts them by round-trip time).</summary>
    public Task<QueryResult<string[]>> GetDatacentersAsync(CancellationToken ct) =>
        GetAsync(DatacentersEndpoint, DatacentersEndpoint, new QueryOptions(0, TimeSpan.Zero), body => (Whole(body, ConsulJsonContext.Default.StringArray), NoneSkipped), ct);

    /// <summary>The agent's <c>http_max_conns_per_client</c> (needs <c>agent:read</c>); null when its answer does not say.</summary>
    public async Task<int?> GetAgentConnectionLimitAsync(CancellationToken ct) =>
        (await GetAgentSelfAsync(ct).ConfigureAwait(false)).DebugConfig?.HTTPMaxConnsPerClient;

    /// <summary>The agent's own description (needs <c>agent:read</c>).</summary>
    public async Task<AgentSelf> GetAgentSelfAsync(CancellationToken ct) =>
        (await GetAsync(AgentSelfEndpoint, AgentSelfEndpoint, default, body => (Whole(body, ConsulJsonContext.Default.AgentSelf), NoneSkipped), ct).ConfigureAwait(false)).Value;

    private static T Whole<T>(ReadOnlyMemory<byte> body, JsonTypeInfo<T> typeInfo)
        where T : class =>
        JsonSerializer.Deserialize(body.Span, typeInfo) ?? throw new JsonException("the response body is JSON null");

    private async Task<QueryResult<T>> GetAsync<T>(
        string path, string endpoint, QueryOptions query, Func<ReadOnlyMemory<byte>, (T Value, IReadOnlyList<SkippedInstance> Skipped)> parse, CancellationToken ct)
        where T : class
    {
        var started = Stopwatch.GetTimestamp();
        var tag = new KeyValuePair<string, object?>("endpoint", endpoint);
        try
        {
            var result = await SendAsync(path, endpoint, query, parse, leader: false, ct).ConfigureAwait(false);
            if (_options.Consistency == ConsulConsistency.Stale && (!result.KnownLeader || result.LastContact > _options.MaxStale))
            {
                // A lagging server: bound the staleness as Consul's max_stale does, by asking the leader the same question.
                ConsulLog.StaleReRead(_logger, endpoint, (long)result.LastContact.TotalMilliseconds, result.KnownLeader);
                result = await SendAsync(path, endpoint, query, parse, leader: true, ct).ConfigureAwait(false);
            }

            ConsulMetrics.RequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
            return result;
        }
        catch (ConsulException e)
        {
            ConsulMetrics.RequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
            ConsulMetrics.Errors.Add(1, tag, new("kind", e.Kind.ToString()), new("status", e.Status is { } s ? ((int)s).ToString(CultureInfo.InvariantCulture) : "none"));
            throw;
        }
    }

    private async Task<QueryResult<T>> SendAsync<T>(
        string path, string endpoint, QueryOptions query, Func<ReadOnlyMemory<byte>, (T Value, IReadOnlyList<SkippedInstance> Skipped)> parse, bool leader, CancellationToken ct)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        // HTTP/2 over HTTPS multiplexes every blocking query over a few connections; the default version policy
        // (RequestVersionOrLower) falls back to HTTP/1.1 when Consul does not offer it.
        using var request = new HttpRequestMessage(HttpMethod.Get, BuildQuery(path, query, leader)) { Version = _options.RequestVersion };
        if (!string.IsNullOrEmpty(_options.Token))
        {
            request.Headers.TryAddWithoutValidation("X-Consul-Token", _options.Token);
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await StatusErrorAsync(endpoint, response, timeout.Token).ConfigureAwait(false);
            }

            var body = await ReadBodyAsync(endpoint, response, timeout.Token).ConfigureAwait(false);
            try
            {
                var (value, skipped) = parse(body);
                var index = ReadIndex(response);
                var filtered = string.Equals(Header(response, "X-Consul-Results-Filtered-By-ACLs"), "true", StringComparison.OrdinalIgnoreCase);
                return new QueryResult<T>(
                    value,
                    index ?? 1,
                    !string.Equals(Header(response, "X-Consul-KnownLeader"), "false", StringComparison.OrdinalIgnoreCase),
                    TimeSpan.FromMilliseconds(ulong.TryParse(Header(response, "X-Consul-LastContact"), CultureInfo.InvariantCulture, out var lc) ? lc : 0),
                    filtered,
                    // The same body means something else with and without ACL filtering: an unfiltered "[]" after a
                    // filtered one is news.
                    XxHash128.HashToUInt128(body.Span, seed: filtered ? 1 : 0))
                {
                    HasIndex = index is not null,
                    Skipped = skipped,
                };
            }
            catch (JsonException e)
            {
                throw new ConsulException(endpoint, ConsulErrorKind.BadResponse, $"invalid JSON ({e.Message})", inner: e);
            }
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new ConsulException(endpoint, ConsulErrorKind.Unreachable, $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new ConsulException(endpoint, ConsulErrorKind.Unreachable, e.InnerException?.Message ?? e.Message, inner: e);
        }
        catch (IOException e)
        {
            throw new ConsulException(endpoint, ConsulErrorKind.Unreachable, $"connection lost while reading the response ({e.Message})", inner: e);
        }
        catch (InvalidDataException e)
        {
            // A compressed body that does not inflate (a broken proxy, a cut gzip stream).
            throw new ConsulException(endpoint, ConsulErrorKind.BadResponse, $"response body could not be decompressed ({e.Message})", inner: e);
        }
    }

    private string BuildQuery(string path, QueryOptions query, bool leader)
    {
        var sb = new StringBuilder(path);
        char sep = '?';
        void Add(string key, string? value)
        {
            sb.Append(sep).Append(key);
            if (value is not null)
            {
                sb.Append('=').Append(Uri.EscapeDataString(value));
            }

            sep = '&';
        }

        if ((query.Datacenter ?? _options.Datacenter) is { Length: > 0 } dc)
        {
            Add("dc", dc);
        }

        if (!string.IsNullOrEmpty(query.Filter))
        {
            Add("filter", query.Filter);
        }

        if (_options.Consistency == ConsulConsistency.Stale && !leader)
        {
            Add("stale", null);
        }

        if (query.Index > 0)
        {
            Add("index", query.Index.ToString(CultureInfo.InvariantCulture));
            // Milliseconds, rounded up: a 0 would make Consul apply its own long default.
            Add("wait", Math.Max(1, (long)Math.Ceiling(query.Wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms");
        }

        return sb.ToString();
    }

    private async Task<ReadOnlyMemory<byte>> ReadBodyAsync(string endpoint, HttpResponseMessage response, CancellationToken ct)
    {
        var limit = _options.MaxResponseBytes;
        if (response.Content.Headers.ContentLength is long declared && declared > limit)
        {
            throw new ConsulException(endpoint, ConsulErrorKind.BadResponse, $"response of {declared} bytes exceeds the {limit}-byte limit (Consul:MaxResponseBytes)");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await stream.ReadAsync(memory, ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                throw new ConsulException(endpoint, ConsulErrorKind.BadResponse, $"response exceeds the {limit}-byte limit (Consul:MaxResponseBytes)");
            }
        }

        return buffer.WrittenMemory;
    }

    private static async Task<ConsulException> StatusErrorAsync(string endpoint, HttpResponseMessage response, CancellationToken ct)
    {
        // Only the start of an error body is kept: it names the error, and a huge one must not be buffered.
        string body;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[512];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            body = Encoding.UTF8.GetString(buffer, 0, length).Trim();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            body = "";
        }

        if (body.Length > 200)
        {
            body = body[..200] + "...";
        }

        var status = response.StatusCode;
        var reason = $"HTTP {(int)status}" + (body.Length > 0 ? $": {body}" : "");
        var kind = status switch
        {
            HttpStatusCode.Forbidden => ConsulErrorKind.Forbidden,
            HttpStatusCode.TooManyRequests => ConsulErrorKind.RateLimited,
            HttpStatusCode.InternalServerError when body.Contains("No path to datacenter", StringComparison.OrdinalIgnoreCase) => ConsulErrorKind.Configuration,
            >= HttpStatusCode.InternalServerError => ConsulErrorKind.ServerError,
            _ => ConsulErrorKind.UnexpectedStatus,
        };
        return new ConsulException(endpoint, kind, reason, status, RetryAfter(response));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is TimeSpan delta)
        {
            return delta;
        }

        return header?.Date is DateTimeOffset date ? date - DateTimeOffset.UtcNow : null;
    }

    /// <summary><c>X-Consul-Index</c>, at least 1; null when the answer carries none (a proxy that strips headers).</summary>
    private static ulong? ReadIndex(HttpResponseMessage response) =>
        ulong.TryParse(Header(response, "X-Consul-Index"), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? Math.Max(index, 1) : null;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
