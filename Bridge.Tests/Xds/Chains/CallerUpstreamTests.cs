using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.Tests.Xds.Chains;

/// <summary>
/// A node that names the service it belongs to gets the clusters of its upstreams shaped by that service's
/// <c>service-defaults</c> <c>UpstreamConfig</c> (connect timeout, circuit breaker limits, passive health check), as
/// Consul shapes a sidecar's upstreams; every other node keeps the shared clusters, untouched.
/// </summary>
[TestFixture]
public sealed class CallerUpstreamTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    /// <summary>web calls with a 1.5 s connect timeout and limits; to api, a passive health check besides.</summary>
    private const string WebCalls = """
        {"Kind":"service-defaults","Name":"web","UpstreamConfig":{
          "Defaults":{"ConnectTimeoutMs":1500,"Limits":{"MaxConnections":10,"MaxConcurrentRequests":20}},
          "Overrides":[{"Name":"api","PassiveHealthCheck":{"Interval":"10s","MaxFailures":3,"MaxEjectionPercent":50,"BaseEjectionTime":"30s"}}]}}
        """;

    /// <summary>api's resolver sets its own connect timeout: the chain's clusters carry 2 s for everyone else.</summary>
    private const string ApiResolver = """{"Kind":"service-resolver","Name":"api","ConnectTimeout":"2s"}""";

    private ulong _index = 100;

    [Test]
    public async Task The_callers_nodes_get_its_upstream_settings_and_every_other_node_the_shared_clusters()
    {
        await using var server = await StartAsync(WebCalls, ApiResolver);
        var web = server.Sotw(Caller(AdsNodes.Envoy("web-1"), "web"));
        var other = server.Sotw(AdsNodes.Envoy("billing-1"));
        var clusters = await ClustersAsync(web);
        var shared = await ClustersAsync(other);
        var delta = server.Delta(Caller(AdsNodes.Envoy("web-2"), "web"));
        var overDelta = (await delta.SubscribeAckedAsync(TypeUrls.Cluster, ["*"], Wait)).Resources.ToDictionary(r => r.Name, r => r.Resource_.Unpack<Cluster>());

        Assert.Multiple(() =>
        {
            Assert.That(overDelta, Is.EqualTo(clusters), "a delta stream of the caller gets the same clusters");

            // The override names api: the defaults' limits stay, the health check is added, and the caller's connect
            // timeout wins over api's resolver (Consul's OverrideConnectTimeout).
            var api = clusters["api"];
            Assert.That(api.ConnectTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
            Assert.That(Limits(api), Is.EqualTo(((uint?)10, (uint?)null, (uint?)20)));
            Assert.That(api.OutlierDetection.Consecutive5Xx, Is.EqualTo(3));
            Assert.That(api.OutlierDetection.Interval.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(api.OutlierDetection.MaxEjectionPercent, Is.EqualTo(50));
            Assert.That(api.OutlierDetection.BaseEjectionTime.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(30)));

            // db is not overridden: the defaults alone.
            Assert.That(clusters["db"].ConnectTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
            Assert.That(Limits(clusters["db"]), Is.EqualTo(((uint?)10, (uint?)null, (uint?)20)));
            Assert.That(clusters["db"].OutlierDetection, Is.Null);

            // Everyone else: api's resolver timeout, no limits, no ejection.
            Assert.That(shared["api"].ConnectTimeout.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(shared.Values.Select(c => c.CircuitBreakers), Is.All.Null);
            Assert.That(shared.Values.Select(c => c.OutlierDetection), Is.All.Null);
            Assert.That(clusters.Keys, Is.EquivalentTo(shared.Keys), "the same clusters, shaped differently");
        });
    }

    [Test]
    public async Task A_grpc_node_of_the_caller_gets_the_limit_it_enforces_and_outlier_detection_it_accepts()
    {
        await using var server = await StartAsync(WebCalls);
        var grpc = server.Sotw(Caller(AdsNodes.Grpc("web-grpc"), "WEB"));
        await grpc.SubscribeAsync(TypeUrls.Cluster, ["api"]);
        var api = (await grpc.NextAsync(Wait)).Unpack<Cluster>().Single();

        Assert.Multiple(() =>
        {
            Assert.That(api.CircuitBreakers.Thresholds.Single().MaxRequests, Is.EqualTo(20), "gRPC clients enforce max_requests (gRFC A32)");
            Assert.That(api.OutlierDetection.Interval.ToTimeSpan(), Is.EqualTo(TimeSpan.FromSeconds(10)), "service names match ignoring case, as Consul's do");

            // Every success-rate parameter spelled out: grpc-js-xds ends the application over an unset one.
            Assert.That(api.OutlierDetection.EnforcingSuccessRate, Is.EqualTo(100));
            Assert.That(api.OutlierDetection.SuccessRateStdevFactor, Is.EqualTo(1900));
        });
    }

    [Test]
    public async Task A_change_to_the_callers_settings_reaches_its_nodes_and_no_other()
    {
        await using var server = await StartAsync(WebCalls);
        var web = server.Sotw(Caller(AdsNodes.Envoy("web-1"), "web"));
        var other = server.Sotw(AdsNodes.Envoy("billing-1"));
        await ClustersAsync(web);
        await ClustersAsync(other);

        Apply(server, WebCalls.Replace("\"MaxConnections\":10", "\"MaxConnections\":64", StringComparison.Ordinal));
        var pushed = await web.NextAsync(Wait);
        Assert.That(pushed.Unpack<Cluster>().Select(c => Limits(c).MaxConnections).Distinct(), Is.EqualTo(new uint?[] { 64 }));
        await web.AckAsync(pushed);

        // The other node's next response must be for this later change, not for web's settings.
        server.Consul.SetService("cache", new TestInstance("10.0.3.1", 6379));
        var next = await other.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Does.Contain("cache"));
        Assert.That(next.Unpack<Cluster>().Select(c => c.CircuitBreakers), Is.All.Null);

        // The caller's nodes get the new service with its settings.
        var withCache = (await web.NextAsync(Wait)).Unpack<Cluster>().Single(c => c.Name == "cache");
        Assert.That(Limits(withCache).MaxConnections, Is.EqualTo(64));
    }

    [Test]
    public async Task Settings_that_break_a_rule_are_logged_naming_the_entry_and_the_settings_before_stay()
    {
        await using var server = await StartAsync(WebCalls);
        var web = server.Sotw(Caller(AdsNodes.Envoy("web-1"), "web"));
        await ClustersAsync(web);

        var mark = server.Logs.Mark();
        Apply(server, WebCalls.Replace("\"MaxEjectionPercent\":50", "\"MaxEjectionPercent\":150", StringComparison.Ordinal)
            .Replace("\"MaxConnections\":10", "\"MaxConnections\":64", StringComparison.Ordinal));
        var error = await server.Logs.WaitForAsync(2016, timeout: Wait, after: mark);

        Assert.Multiple(() =>
        {
            Assert.That(error.Fields()["Name"], Is.EqualTo("web"));
            Assert.That(error.Fields()["Reason"], Does.Contain("Overrides[0].PassiveHealthCheck.MaxEjectionPercent: 150"));
            Assert.That(error.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Error));
        });

        // Nothing changed for web's nodes: their next response is for a later change, still with the old limits.
        server.Consul.SetService("cache", new TestInstance("10.0.3.1", 6379));
        var next = (await web.NextAsync(Wait)).Unpack<Cluster>();
        Assert.That(next.Select(c => Limits(c).MaxConnections).Distinct(), Is.EqualTo(new uint?[] { 10 }));
    }

    [Test]
    public async Task Without_its_entry_the_callers_nodes_get_the_shared_clusters_again()
    {
        await using var server = await StartAsync(WebCalls);
        var web = server.Sotw(Caller(AdsNodes.Envoy("web-1"), "web"));
        await ClustersAsync(web);

        Apply(server);
        var pushed = (await web.NextAsync(Wait)).Unpack<Cluster>();

        Assert.Multiple(() =>
        {
            Assert.That(pushed.Select(c => c.CircuitBreakers), Is.All.Null);
            Assert.That(server.Cache.Current.Callers, Is.Empty);
        });
    }

    [Test]
    public async Task The_debug_page_shows_each_callers_settings_and_the_clusters_they_shape()
    {
        await using var server = await StartAsync(WebCalls.Replace("\"Name\":\"api\",", "\"Name\":\"api\",\"Protocol\":\"grpc\",", StringComparison.Ordinal));

        using var xds = System.Text.Json.JsonDocument.Parse(await server.GetAdminAsync("/debug/xds"));
        var web = xds.RootElement.GetProperty("callers").GetProperty("web");

        Assert.Multiple(() =>
        {
            Assert.That(web.GetProperty("defaults").GetString(), Does.Contain("connect timeout 1500 ms"));
            Assert.That(web.GetProperty("overrides").GetProperty("api").GetString(), Does.Contain("passive health check (max failures 3"));
            Assert.That(web.GetProperty("clusters").EnumerateArray().Select(c => c.GetString()), Is.EquivalentTo(new[] { "api", "db", "web" }));
            Assert.That(web.GetProperty("notApplied").EnumerateArray().Single().GetString(), Does.Contain("Overrides[0].Protocol \"grpc\""));
        });
    }

    private async Task<InProcessBridge> StartAsync(params string[] entries)
    {
        var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(
            ("web", [new TestInstance("10.0.0.1", 8080)]),
            ("api", [new TestInstance("10.0.1.1", 9090)]),
            ("db", [new TestInstance("10.0.2.1", 5432)]));
        Apply(server, entries);
        return server;
    }

    private void Apply(InProcessBridge server, params string[] entries) => server.Consul.Apply(ConsulFeed.ConfigEntries(++_index, entries));

    private static async Task<Dictionary<string, Cluster>> ClustersAsync(AdsClient client)
    {
        var response = await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        return response.Unpack<Cluster>().ToDictionary(c => c.Name);
    }

    private static (uint? MaxConnections, uint? MaxPendingRequests, uint? MaxRequests) Limits(Cluster cluster) =>
        cluster.CircuitBreakers?.Thresholds.Single() is { } t ? (t.MaxConnections, t.MaxPendingRequests, t.MaxRequests) : (null, null, null);

    private static Node Caller(Node node, string service)
    {
        node.Metadata.Fields["bridge.service_name"] = Value.ForString(service);
        return node;
    }
}
