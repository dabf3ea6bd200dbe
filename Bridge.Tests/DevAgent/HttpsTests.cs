using System.Net.Security;
using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.DevAgent;

[Parallelizable(ParallelScope.All)]
public sealed class HttpsTests
{
    [Test]
    public async Task An_http2_client_multiplexes_many_blocking_queries_over_one_tls_connection()
    {
        // One connection allowed per client: only multiplexing lets 100 blocking queries wait at once.
        await using var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "https://127.0.0.1:0", MaxConnsPerClient = 1 });
        Register(agent, "web", port: 8080);
        using var http = TrustingClient(agent, HttpVersion.Version20);
        using var first = await http.GetAsync("/v1/health/service/web");
        var index = first.Headers.GetValues("X-Consul-Index").Single();
        Assert.That(first.Version, Is.EqualTo(HttpVersion.Version20));

        var queries = Enumerable.Range(0, 100)
            .Select(_ => http.GetAsync($"/v1/health/service/web?index={index}&wait=30s"))
            .ToList();
        await TestAgent.Until(() => agent.GetStatistics().BlockingQueriesInFlight == 100, "100 blocking queries parked");
        Register(agent, "web", port: 9090);
        var answers = await Task.WhenAll(queries);

        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(answers.Select(a => a.Version), Is.All.EqualTo(HttpVersion.Version20));
            Assert.That(answers.Select(a => ulong.Parse(a.Headers.GetValues("X-Consul-Index").Single(), CultureInfo.InvariantCulture)),
                Is.All.GreaterThan(ulong.Parse(index, CultureInfo.InvariantCulture)));
            var stats = agent.GetStatistics();
            Assert.That(stats.PeakConnectionsPerIp, Is.EqualTo(1));
            Assert.That(stats.ConnectionLimitRejections, Is.Zero);
            Assert.That(stats.TooManyRequestsResponses, Is.Zero);
        });
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Test]
    public async Task Over_https_the_connection_limit_still_counts_tcp_connections()
    {
        await using var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "https://127.0.0.1:0", MaxConnsPerClient = 2 });
        Register(agent, "web", port: 8080);
        using var http = TrustingClient(agent, HttpVersion.Version11);
        using var first = await http.GetAsync("/v1/health/service/web");
        var index = first.Headers.GetValues("X-Consul-Index").Single();

        // HTTP/1.1 needs a connection per query in flight: the third is refused at the TCP level.
        var held = Enumerable.Range(0, 2).Select(_ => http.GetAsync($"/v1/health/service/web?index={index}&wait=30s")).ToList();
        await TestAgent.Until(() => agent.GetStatistics().BlockingQueriesInFlight == 2, "2 blocking queries parked");
        Assert.That(async () => await http.GetAsync("/v1/health/service/web"), Throws.InstanceOf<HttpRequestException>());
        Assert.That(agent.GetStatistics().ConnectionLimitRejections, Is.EqualTo(1));

        Register(agent, "web", port: 9090);
        foreach (var answer in await Task.WhenAll(held))
        {
            Assert.That(answer.Version, Is.EqualTo(HttpVersion.Version11));
            answer.Dispose();
        }
    }

    [Test]
    public async Task The_ca_file_is_pem_and_is_removed_when_the_agent_stops()
    {
        string caFile;
        await using (var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "https://127.0.0.1:0" }))
        {
            caFile = agent.CaFile!;
            Assert.That(agent.Address.Scheme, Is.EqualTo("https"));
            using var fromFile = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caFile));
            Assert.That(fromFile.Thumbprint, Is.EqualTo(agent.CaCertificate!.Thumbprint));
        }

        Assert.That(File.Exists(caFile), Is.False);
    }

    [Test]
    public async Task A_plain_http_agent_has_no_ca()
    {
        await using var agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0" });
        Assert.That(agent.CaFile, Is.Null);
        Assert.That(agent.CaCertificate, Is.Null);
    }

    private static void Register(DevAgentServer agent, string service, int port) =>
        agent.Catalog.RegisterCatalogEntry(new CatalogRegistration
        {
            Node = "node-1",
            Address = "10.0.0.1",
            Service = new CatalogServiceRegistration { Id = service + "-1", Service = service, Port = port },
        });

    /// <summary>A client that trusts only the agent's CA, as the bridge with <c>Consul:CaFile</c> does.</summary>
    private static HttpClient TrustingClient(DevAgentServer agent, Version version)
    {
        var roots = new X509Certificate2Collection(X509Certificate2.CreateFromPem(File.ReadAllText(agent.CaFile!)));
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = PrivateRoots.ServerCheck(roots, matchName: true) },
        };
        return new HttpClient(handler)
        {
            BaseAddress = agent.Address,
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }
}
