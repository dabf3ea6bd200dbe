using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Service.Discovery.V3;

namespace Bridge.Tests.Ads.Sotw;

/// <summary>Envoy and proxyless gRPC nodes get listeners and routes shaped for what each supports.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class SotwClientKindTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    private static async Task<InProcessBridge> StartSyncedAsync()
    {
        var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]), ("api", [new TestInstance("10.0.1.1", 9090)]));
        return server;
    }

    [Test]
    public async Task Grpc_node_asking_for_listener_web_gets_an_api_listener_using_RDS_over_ADS_with_route_web_and_router_last()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Create("grpc-app-1", clientKind: "grpc", userAgentName: "some-app"));

        await client.SubscribeAsync(TypeUrls.Listener, ["web"]);
        var lds = await client.NextAsync(Wait);

        var listener = lds.Listeners().Single();
        Assert.That(listener.Name, Is.EqualTo("web"));
        Assert.That(listener.ApiListener, Is.Not.Null);
        Assert.That(listener.FilterChains, Is.Empty);
        var hcm = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.That(hcm.RouteSpecifierCase, Is.EqualTo(HttpConnectionManager.RouteSpecifierOneofCase.Rds));
        Assert.That(hcm.Rds.RouteConfigName, Is.EqualTo("web"));
        Assert.That(hcm.Rds.ConfigSource.Ads, Is.Not.Null, "routes must be fetched over the same ADS stream");
        Assert.That(hcm.HttpFilters, Is.Not.Empty);
        var last = hcm.HttpFilters[^1];
        Assert.That(last.TypedConfig.Is(Router.Descriptor), Is.True, "the router filter must be last");

        await client.AckAsync(lds);
        await client.SubscribeAsync(TypeUrls.RouteConfiguration, ["web"]);
        var rds = await client.NextAsync(Wait);
        var route = rds.Routes().Single();
        Assert.That(route.Name, Is.EqualTo("web"));
        Assert.That(route.VirtualHosts.SelectMany(v => v.Routes).Select(r => r.Route_.Cluster), Has.All.EqualTo("web"));
    }

    [Test]
    public async Task Grpc_user_agent_without_metadata_is_served_as_a_grpc_client()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Create("grpc-ua", clientKind: null, userAgentName: "gRPC Go"));

        await client.SubscribeAsync(TypeUrls.Listener, ["api"]);
        var lds = await client.NextAsync(Wait);

        Assert.That(lds.Listeners().Single().ApiListener, Is.Not.Null);
    }

    [Test]
    public async Task Configured_kind_override_wins_over_node_metadata()
    {
        await using var server = await InProcessBridge.StartAsync(new()
        {
            Catalog = CatalogFeed.Test,
            Settings = new Dictionary<string, string?> { ["Ads:ClientKindOverrides:pinned-grpc"] = "grpc" },
        });
        server.Consul.Sync(("web", [new TestInstance("10.0.0.1", 8080)]));
        var client = server.Sotw(AdsNodes.Create("pinned-grpc", clientKind: "envoy", userAgentName: "envoy"));

        await client.SubscribeAsync(TypeUrls.Listener, ["web"]);
        var lds = await client.NextAsync(Wait);

        Assert.That(lds.Listeners().Single().ApiListener, Is.Not.Null);
        Assert.That(server.Registry.Snapshot().Single().Client!.Kind, Is.EqualTo(ClientKind.Grpc));
    }

    [Test]
    public async Task Client_kind_is_taken_from_the_first_request_only()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-then-grpc"));
        await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);

        await client.SendAsync(new DiscoveryRequest { Node = AdsNodes.Grpc("envoy-then-grpc"), TypeUrl = TypeUrls.Listener });

        var lds = await client.NextAsync(Wait);
        Assert.That(lds.Listeners().Select(l => l.Name), Is.EqualTo(new[] { "outbound_http" }));
    }

    [Test]
    public async Task Grpc_node_asking_for_a_listener_named_with_a_port_gets_that_listener()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Grpc("grpc-with-port"));

        // A channel to xds:///web:8080 asks for Listener "web:8080" (grpc-js-xds.md §2, template %s).
        await client.SubscribeAsync(TypeUrls.Listener, ["web:8080"]);
        var lds = await client.NextAsync(Wait);

        Assert.That(lds.Listeners().Select(l => l.Name), Is.EqualTo(new[] { "web:8080" }),
            "the route already answers the domain web:*, but no Listener is served under the name a gRPC target with a port asks for");
    }

    [Test]
    public async Task Wildcard_LDS_from_a_grpc_node_returns_no_listeners()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Grpc("grpc-wildcard"));

        await client.SubscribeAsync(TypeUrls.Listener, []);
        var lds = await client.NextAsync(Wait);

        Assert.That(lds.TypeUrl, Is.EqualTo(TypeUrls.Listener));
        Assert.That(lds.Resources, Is.Empty);
    }

    [Test]
    public async Task Wildcard_LDS_from_an_envoy_node_returns_outbound_http()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-lds"));

        await client.SubscribeAsync(TypeUrls.Listener, []);
        var lds = await client.NextAsync(Wait);

        var listener = lds.Listeners().Single();
        Assert.That(listener.Name, Is.EqualTo("outbound_http"));
        Assert.That(listener.Address.SocketAddress.PortValue, Is.EqualTo(15001u));
        var hcm = listener.FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.That(hcm.Rds.RouteConfigName, Is.EqualTo("outbound_http"));
    }

    [Test]
    public async Task Envoy_route_names_every_service_and_follows_membership_changes()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-rds"));
        await client.SubscribeAsync(TypeUrls.RouteConfiguration, ["outbound_http"]);
        var rds = await client.NextAsync(Wait);
        Assert.That(rds.Routes().Single().VirtualHosts.Select(v => v.Name), Is.EquivalentTo(new[] { "api", "web" }));
        await client.AckAsync(rds);

        server.Consul.SetService("db", new TestInstance("10.0.2.1", 5432));

        var next = await client.NextAsync(Wait);
        Assert.That(next.Routes().Single().VirtualHosts.Select(v => v.Name), Is.EquivalentTo(new[] { "api", "db", "web" }));
    }
}
