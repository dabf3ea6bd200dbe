using Bridge.DevAgent;

namespace Bridge.Tests.DevAgent;

/// <summary>A dev agent on a free port with an HTTP client pointed at it.</summary>
internal sealed class TestAgent : IAsyncDisposable
{
    private TestAgent(DevAgentServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public DevAgentServer Server { get; }

    public HttpClient Http { get; }

    public static async Task<TestAgent> StartAsync(Func<DevAgentOptions, DevAgentOptions>? configure = null)
    {
        var options = new DevAgentOptions { Url = "http://127.0.0.1:0" };
        return new TestAgent(await DevAgentServer.StartAsync(configure?.Invoke(options) ?? options));
    }

    public async Task<Reply> GetAsync(string path, CancellationToken ct = default)
    {
        using var response = await Http.GetAsync(path, ct);
        return await Reply.ReadAsync(response);
    }

    public async Task<Reply> PutAsync(string path, string? json = null)
    {
        using var content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Http.PutAsync(path, content);
        return await Reply.ReadAsync(response);
    }

    public async Task<Reply> DeleteAsync(string path)
    {
        using var response = await Http.DeleteAsync(path);
        return await Reply.ReadAsync(response);
    }

    /// <summary>Writes a config entry through <c>PUT /v1/config</c>; fails the test unless Consul would answer <c>true</c>.</summary>
    public async Task PutConfigAsync(string entryJson)
    {
        var reply = await PutAsync("/v1/config", entryJson);
        Assert.That((reply.Status, reply.Body), Is.EqualTo((HttpStatusCode.OK, "true")), entryJson);
    }

    public async Task RegisterAsync(string serviceJson)
    {
        var reply = await PutAsync("/v1/agent/service/register", serviceJson);
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Body);
    }

    public async Task RegisterCatalogAsync(string registrationJson)
    {
        var reply = await PutAsync("/v1/catalog/register", registrationJson);
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Body);
    }

    /// <summary>Waits until the agent holds <paramref name="count"/> blocking queries, i.e. the requests under test are parked.</summary>
    public Task BlockingQueriesParkedAsync(int count = 1) =>
        Until(() => Server.GetStatistics().BlockingQueriesInFlight == count, $"{count} blocking queries in flight");

    public static async Task Until(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>A response read whole: status, Consul index, headers and body.</summary>
internal sealed record Reply(HttpStatusCode Status, HttpResponseHeaders Headers, HttpContentHeaders ContentHeaders, string Body)
{
    /// <summary>The <c>X-Consul-Index</c> header; fails the test when absent.</summary>
    public ulong Index => Headers.TryGetValues("X-Consul-Index", out var values)
        ? ulong.Parse(values.Single(), CultureInfo.InvariantCulture)
        : throw new AssertionException($"No X-Consul-Index header on a {(int)Status} response.");

    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.Clone();
        }
    }

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public static async Task<Reply> ReadAsync(HttpResponseMessage response) =>
        new(response.StatusCode, response.Headers, response.Content.Headers, await response.Content.ReadAsStringAsync());
}
