using Envoy.Service.Discovery.V3;

using static Bridge.Tests.Ads.SmallCatalog;

namespace Bridge.Tests.Ads.Sotw;

/// <summary>State-of-the-world ADS over a real gRPC socket: what is answered, when, and what is not resent.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class SotwDiscoveryTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    [Test]
    public async Task Initial_wildcard_CDS_returns_every_cluster_then_EDS_by_name_returns_their_assignments()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-1"));

        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var cds = await client.NextAsync(Wait);
        Assert.That(cds.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(cds.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
        await client.AckAsync(cds);

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"]);
        var eds = await client.NextAsync(Wait);
        Assert.That(eds.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        var byName = eds.Assignments().ToDictionary(a => a.ClusterName);
        Assert.That(byName.Keys, Is.EquivalentTo(new[] { "api", "web" }));
        Assert.That(byName["web"].EndpointAddresses(), Is.EqualTo(new[] { Web1.Endpoint }));
        Assert.That(byName["api"].EndpointAddresses(), Is.EqualTo(new[] { Api1.Endpoint }));
    }

    [Test]
    public async Task Every_requested_assignment_is_answered_including_empty_ones_for_unknown_and_instance_less_services()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync(("web", [Web1]), ("idle", []));
        var client = server.Sotw(AdsNodes.Grpc("grpc-1"));

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "idle", "nosuch"]);
        var eds = await client.NextAsync(Wait);

        var byName = eds.Assignments().ToDictionary(a => a.ClusterName);
        Assert.That(byName.Keys, Is.EquivalentTo(new[] { "idle", "nosuch", "web" }));
        Assert.That(byName["web"].EndpointAddresses(), Is.EqualTo(new[] { Web1.Endpoint }));
        Assert.That(byName["idle"].Endpoints, Is.Empty);
        Assert.That(byName["nosuch"].Endpoints, Is.Empty);
    }

    [Test]
    public async Task Consul_change_reaches_a_subscribed_stream_and_only_the_changed_assignment_is_sent()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-1"));
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api", "db"]);
        var first = await client.NextAsync(Wait);
        Assert.That(first.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
        await client.AckAsync(first);

        server.Consul.SetService("web", Web1, Web2);

        var update = await client.NextAsync(Wait);
        Assert.That(update.ResourceNames(), Is.EqualTo(new[] { "web" }));
        Assert.That(update.Assignments()[0].EndpointAddresses(), Is.EquivalentTo(new[] { Web1.Endpoint, Web2.Endpoint }));
        Assert.That(update.VersionInfo, Is.Not.EqualTo(first.VersionInfo));
        Assert.That(update.Nonce, Is.Not.EqualTo(first.Nonce));
    }

    [Test]
    public async Task Health_and_port_changes_reach_the_stream_as_new_assignments()
    {
        await using var server = await StartSyncedAsync();
        server.Consul.SetService("web", Web1, Web2);
        var client = server.Sotw(AdsNodes.Envoy("envoy-1"));
        var first = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);

        server.Consul.SetHealth("web", Web2.Endpoint, "critical");
        var unhealthy = await client.NextAsync(Wait);
        Assert.That(unhealthy.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { Web1.Endpoint }));
        await client.AckAsync(unhealthy);

        server.Consul.SetService("web", Web1 with { Port = 8081 });
        var moved = await client.NextAsync(Wait);
        Assert.That(moved.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { "10.0.0.1:8081" }));
    }

    [Test]
    public async Task Ack_of_the_current_version_is_not_answered_and_the_next_response_is_the_next_change()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("envoy-ack");
        var client = server.Sotw(node);
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"]);
        var first = await client.NextAsync(Wait);

        var mark = server.Logs.Mark();
        await client.AckAsync(first);
        await server.Logs.WaitForAsync(AdsEvents.Ack, e => e.Field("NodeId") == node.Id && e.Field("Version") == first.VersionInfo, Wait, mark);

        server.Consul.SetService("api", Api1, Api1 with { Address = "10.0.1.2" });

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "api" }), "the ACK must not have been answered with a repeat");
        Assert.That(next.Nonce, Is.Not.EqualTo(first.Nonce));
    }

    [Test]
    public async Task Nack_is_logged_with_node_id_and_error_detail_and_the_rejected_version_is_not_resent_while_a_later_change_is()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("envoy-nack");
        var client = server.Sotw(node);
        var accepted = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);

        server.Consul.SetService("web", Web1, Web2);
        var rejected = await client.NextAsync(Wait);
        var mark = server.Logs.Mark();
        await client.NackAsync(rejected, "endpoint 10.0.0.2 refused by test");

        var nack = await server.Logs.WaitForAsync(AdsEvents.Nack, e => e.Field("NodeId") == node.Id, Wait, mark);
        Assert.That(nack.Field("ErrorDetail"), Is.EqualTo("endpoint 10.0.0.2 refused by test"));
        Assert.That(nack.Field("Version"), Is.EqualTo(rejected.VersionInfo));
        Assert.That(nack.Message, Does.Contain(node.Id).And.Contain("endpoint 10.0.0.2 refused by test"));

        server.Consul.SetService("web", Web2);

        var next = await client.NextAsync(Wait);
        Assert.That(next.VersionInfo, Is.Not.EqualTo(rejected.VersionInfo), "the rejected version was sent again");
        Assert.That(next.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { Web2.Endpoint }));
    }

    [Test]
    public async Task Nack_that_also_changes_the_subscription_gets_the_new_names_but_not_the_rejected_version()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-nack-subscribe"));
        await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);
        server.Consul.SetService("web", Web1, Web2);
        var rejected = await client.NextAsync(Wait);

        await client.SendAsync(new DiscoveryRequest
        {
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            VersionInfo = client.GetState(TypeUrls.ClusterLoadAssignment)!.AcceptedVersion,
            ResponseNonce = rejected.Nonce,
            ResourceNames = { "web", "api" },
            ErrorDetail = new Google.Rpc.Status { Code = 3, Message = "rejected, and api wanted too" },
        });

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "api" }));
    }

    [Test]
    public async Task Nack_of_full_state_CDS_is_not_answered_with_the_same_clusters_again()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("envoy-nack-cds");
        var client = server.Sotw(node);
        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var rejected = await client.NextAsync(Wait);
        var mark = server.Logs.Mark();
        await client.NackAsync(rejected, "cluster refused by test");
        await server.Logs.WaitForAsync(AdsEvents.Nack, e => e.Field("NodeId") == node.Id, Wait, mark);

        server.Consul.SetService("cache", new TestInstance("10.0.3.1", 6379));

        var next = await client.NextAsync(Wait);
        Assert.That(next.VersionInfo, Is.Not.EqualTo(rejected.VersionInfo));
        Assert.That(next.ResourceNames(), Is.EquivalentTo(new[] { "api", "cache", "db", "web" }));
    }

    [Test]
    public async Task Request_with_a_stale_nonce_is_ignored()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("envoy-stale");
        var client = server.Sotw(node);
        var first = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);
        server.Consul.SetService("web", Web1, Web2);
        var second = await client.NextAsync(Wait);
        await client.AckAsync(second);

        // Echoes the first nonce although the second response was sent: stale, so its new name must be ignored.
        var mark = server.Logs.Mark();
        await client.SendAsync(new DiscoveryRequest
        {
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            VersionInfo = first.VersionInfo,
            ResponseNonce = first.Nonce,
            ResourceNames = { "web", "api" },
        });
        await server.Logs.WaitForAsync(AdsEvents.StaleNonceIgnored, e => e.Field("NodeId") == node.Id && e.Field("Nonce") == first.Nonce, Wait, mark);

        server.Consul.SetService("web", Web2);

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }), "the stale request's subscription to api was applied");
    }

    [Test]
    public async Task Nack_with_a_stale_nonce_is_ignored_and_not_read_as_a_rejection()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("envoy-stale-nack");
        var client = server.Sotw(node);
        var first = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);
        server.Consul.SetService("web", Web2);
        var second = await client.NextAsync(Wait);

        var mark = server.Logs.Mark();
        await client.NackAsync(first, "late rejection of the first response");
        await server.Logs.WaitForAsync(AdsEvents.StaleNonceIgnored, e => e.Field("NodeId") == node.Id && e.Field("Nonce") == first.Nonce, Wait, mark);
        await client.AckAsync(second);
        await server.Logs.WaitForAsync(AdsEvents.Ack, e => e.Field("NodeId") == node.Id && e.Field("Version") == second.VersionInfo, Wait, mark);

        Assert.That(server.Logs.GetSnapshot().Skip(mark).Where(e => e.Id.Id == AdsEvents.Nack), Is.Empty);
        var status = server.Registry.Snapshot().Single().Describe().Single(t => t.TypeUrl == TypeUrls.ClusterLoadAssignment);
        Assert.That(status.NackedVersion, Is.Null);
        Assert.That(status.AckedVersion, Is.EqualTo(second.VersionInfo));
    }

    [Test]
    public async Task Responses_of_one_type_do_not_make_the_nonce_of_another_type_stale()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-per-type-nonce"));
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var eds = await client.NextAsync(Wait);
        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var cds = await client.NextAsync(Wait);
        Assert.That(cds.TypeUrl, Is.EqualTo(TypeUrls.Cluster));

        // The EDS nonce is older than the CDS one, but it is the latest of its type: this request is current.
        await client.SendAsync(new DiscoveryRequest
        {
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            VersionInfo = eds.VersionInfo,
            ResponseNonce = eds.Nonce,
            ResourceNames = { "web", "api" },
        });

        var next = await client.NextAsync(Wait);
        Assert.That(next.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "api" }));
    }

    [Test]
    public async Task Assignment_dropped_from_the_subscription_and_added_back_unchanged_is_sent_again()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("envoy-readd");
        var client = server.Sotw(node);
        var first = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"], Wait);

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var mark = server.Logs.Mark();
        await client.AckAsync(first);
        await server.Logs.WaitForAsync(AdsEvents.Ack, e => e.Field("NodeId") == node.Id, Wait, mark);
        // A later request the stream must answer: an answer to the drop would come before it.
        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var clusters = await client.NextAsync(Wait);
        Assert.That(clusters.TypeUrl, Is.EqualTo(TypeUrls.Cluster), "dropping a name from EDS needs no answer");

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"]);

        var again = await client.NextAsync(Wait);
        Assert.That(again.ResourceNames(), Is.EqualTo(new[] { "api" }));
        Assert.That(again.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { Api1.Endpoint }));
    }

    [Test]
    public async Task First_request_of_a_type_is_answered_even_when_it_echoes_a_nonce_from_an_earlier_stream()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-old-nonce"));

        await client.SendAsync(new DiscoveryRequest
        {
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            VersionInfo = "version-from-before",
            ResponseNonce = "17",
            ResourceNames = { "web" },
        });

        var eds = await client.NextAsync(Wait);
        Assert.That(eds.ResourceNames(), Is.EqualTo(new[] { "web" }));
    }

    [Test]
    public async Task Reconnect_with_the_old_version_info_gets_the_current_resources_again()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-reconnect"));
        var cds = await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        var eds = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);

        // The stream drops; the catalog moves on while the proxy is away.
        await client.DisposeAsync();
        server.Consul.SetService("web", Web2);
        var again = server.Track(await client.ReconnectAsync());

        var cdsAgain = await again.NextAsync(Wait);
        Assert.That(cdsAgain.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(cdsAgain.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
        Assert.That(cdsAgain.VersionInfo, Is.EqualTo(cds.VersionInfo), "same clusters, same version");
        var edsAgain = await again.NextAsync(Wait);
        Assert.That(edsAgain.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(edsAgain.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { Web2.Endpoint }));
    }

    [Test]
    public async Task Reconnect_with_unchanged_resources_still_resends_them()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-reconnect-same"));
        var eds = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);

        var again = server.Track(await client.ReconnectAsync());
        Assert.That(again.GetState(TypeUrls.ClusterLoadAssignment)!.AcceptedVersion, Is.EqualTo(eds.VersionInfo));

        var edsAgain = await again.NextAsync(Wait);
        Assert.That(edsAgain.ResourceNames(), Is.EqualTo(new[] { "web" }));
        Assert.That(edsAgain.VersionInfo, Is.EqualTo(eds.VersionInfo));
    }

    [Test]
    public async Task Two_streams_get_only_their_own_EDS_subscriptions_and_a_change_reaches_only_the_subscriber()
    {
        await using var server = await StartSyncedAsync();
        var webClient = server.Sotw(AdsNodes.Envoy("envoy-web"));
        var apiClient = server.Sotw(AdsNodes.Envoy("envoy-api"));
        await webClient.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        await apiClient.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["api"]);
        var web = await webClient.NextAsync(Wait);
        var api = await apiClient.NextAsync(Wait);
        Assert.That(web.ResourceNames(), Is.EqualTo(new[] { "web" }));
        Assert.That(api.ResourceNames(), Is.EqualTo(new[] { "api" }));
        await webClient.AckAsync(web);
        await apiClient.AckAsync(api);

        server.Consul.SetService("api", Api1 with { Port = 9191 });
        var apiUpdate = await apiClient.NextAsync(Wait);
        Assert.That(apiUpdate.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { "10.0.1.1:9191" }));

        server.Consul.SetService("web", Web2);
        var webUpdate = await webClient.NextAsync(Wait);
        Assert.That(webUpdate.ResourceNames(), Is.EqualTo(new[] { "web" }), "the web stream was sent api's change");
        Assert.That(webUpdate.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { Web2.Endpoint }));
    }

    [Test]
    public async Task Legacy_wildcard_sequence_empty_then_star_and_name_then_name_then_empty_follows_the_spec()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-legacy"));

        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var all = await client.NextAsync(Wait);
        Assert.That(all.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }), "[] first is the legacy wildcard");
        await client.AckAsync(all);

        await client.SubscribeAsync(TypeUrls.Cluster, ["*", "web"]);
        var starPlusWeb = await client.NextAsync(Wait);
        Assert.That(starPlusWeb.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }), "[*, web] is everything, each once");
        await client.AckAsync(starPlusWeb);

        await client.SubscribeAsync(TypeUrls.Cluster, ["web"]);
        var webOnly = await client.NextAsync(Wait);
        Assert.That(webOnly.ResourceNames(), Is.EqualTo(new[] { "web" }), "[web] is web only");
        await client.AckAsync(webOnly);

        await client.SubscribeAsync(TypeUrls.Cluster, []);
        var none = await client.NextAsync(Wait);
        Assert.That(none.Resources, Is.Empty, "[] after names unsubscribes from everything");
        await client.AckAsync(none);

        // Still nothing, not a wildcard: a new service is not pushed, the EDS change in the same snapshot is.
        var eds = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);
        server.Consul.Apply(
            new Core.Consul.ServiceSetObserved(["api", "cache", "db", "web"], 100),
            new Core.Consul.ServiceEntriesObserved("cache", 101, [new TestInstance("10.0.3.1", 6379).ToEntry("cache")]),
            new Core.Consul.ServiceEntriesObserved("web", 102, [Web2.ToEntry("web")]));
        var next = await client.NextAsync(Wait);
        Assert.That(next.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment), "CDS was answered after unsubscribing from everything");
    }

    [Test]
    public async Task Removed_service_is_omitted_from_the_next_CDS_answer_and_its_EDS_is_answered_empty()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-removal"));
        var cds = await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        var eds = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["api", "web"], Wait);

        server.Consul.RemoveService("api");

        var cdsAfter = await client.NextAsync(Wait);
        Assert.That(cdsAfter.TypeUrl, Is.EqualTo(TypeUrls.Cluster), "clusters go before endpoints");
        Assert.That(cdsAfter.ResourceNames(), Is.EquivalentTo(new[] { "db", "web" }));
        var edsAfter = await client.NextAsync(Wait);
        Assert.That(edsAfter.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(edsAfter.ResourceNames(), Is.EqualTo(new[] { "api" }));
        Assert.That(edsAfter.Assignments().Single().Endpoints, Is.Empty);
    }

    [Test]
    public async Task CDS_answer_after_one_cluster_changes_contains_every_cluster()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-full-cds"));
        var cds = await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);

        server.Consul.SetService("api", Api1 with { Meta = new Dictionary<string, string> { ["lb_policy"] = "ring_hash" } });

        var next = await client.NextAsync(Wait);
        Assert.That(next.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(next.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
        Assert.That(next.Clusters().Single(c => c.Name == "api").LbPolicy, Is.EqualTo(Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy.RingHash));
    }

    [Test]
    public async Task LDS_answer_after_a_name_is_added_contains_every_subscribed_listener()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Grpc("grpc-full-lds"));
        await client.SubscribeAsync(TypeUrls.Listener, ["web"]);
        var lds = await client.NextAsync(Wait);
        Assert.That(lds.ResourceNames(), Is.EqualTo(new[] { "web" }));
        await client.AckAsync(lds);

        await client.SubscribeAsync(TypeUrls.Listener, ["web", "api"]);

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EquivalentTo(new[] { "api", "web" }));
    }

    [Test]
    public async Task Every_resource_type_url_equals_its_response_type_url()
    {
        await using var server = await StartSyncedAsync();
        var envoy = server.Sotw(AdsNodes.Envoy("envoy-types"));
        var grpc = server.Sotw(AdsNodes.Grpc("grpc-types"));
        await envoy.SubscribeAsync(TypeUrls.Cluster, []);
        await envoy.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "nosuch"]);
        await envoy.SubscribeAsync(TypeUrls.Listener, []);
        await envoy.SubscribeAsync(TypeUrls.RouteConfiguration, ["outbound_http"]);
        await grpc.SubscribeAsync(TypeUrls.Listener, ["web"]);
        await grpc.SubscribeAsync(TypeUrls.RouteConfiguration, ["web"]);
        await grpc.SubscribeAsync(TypeUrls.Cluster, ["web"]);

        var responses = new List<DiscoveryResponse>();
        for (var i = 0; i < 4; i++)
        {
            responses.Add(await envoy.NextAsync(Wait));
        }

        for (var i = 0; i < 3; i++)
        {
            responses.Add(await grpc.NextAsync(Wait));
        }

        Assert.That(responses, Has.All.Matches<DiscoveryResponse>(r => r.Resources.Count > 0));
        foreach (var response in responses)
        {
            Assert.That(response.Resources.Select(r => r.TypeUrl), Has.All.EqualTo(response.TypeUrl), response.TypeUrl);
        }

        Assert.That(responses.Select(r => r.TypeUrl).Distinct(), Is.EquivalentTo(TypeUrls.All));
    }

    [Test]
    public async Task Nonces_are_unique_on_a_stream()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-nonces"));
        var nonces = new List<string>();
        await client.SubscribeAsync(TypeUrls.Cluster, []);
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        await client.SubscribeAsync(TypeUrls.Listener, []);
        for (var i = 0; i < 3; i++)
        {
            var response = await client.NextAsync(Wait);
            nonces.Add(response.Nonce);
            await client.AckAsync(response);
        }

        foreach (var instances in new[] { new[] { Web2 }, [Web1], [Web1, Web2] })
        {
            server.Consul.SetService("web", instances);
            var response = await client.NextAsync(Wait);
            nonces.Add(response.Nonce);
            await client.AckAsync(response);
        }

        Assert.That(nonces, Has.Count.EqualTo(6));
        Assert.That(nonces, Is.Unique);
        Assert.That(nonces, Has.None.Empty);
    }

    [Test]
    public async Task Equal_content_has_equal_versions_across_streams_and_after_a_change_is_reverted()
    {
        await using var server = await StartSyncedAsync();
        var first = server.Sotw(AdsNodes.Envoy("envoy-a"));
        var second = server.Sotw(AdsNodes.Envoy("envoy-b"));
        await first.SubscribeAsync(TypeUrls.Cluster, []);
        await second.SubscribeAsync(TypeUrls.Cluster, []);
        var cdsA = await first.NextAsync(Wait);
        var cdsB = await second.NextAsync(Wait);
        Assert.That(cdsB.VersionInfo, Is.EqualTo(cdsA.VersionInfo));
        Assert.That(cdsA.VersionInfo, Is.Not.Empty);
        await first.AckAsync(cdsA);

        await first.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        await second.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var edsA = await first.NextAsync(Wait);
        var edsB = await second.NextAsync(Wait);
        Assert.That(edsB.VersionInfo, Is.EqualTo(edsA.VersionInfo));
        await first.AckAsync(edsA);

        server.Consul.SetService("web", Web1, Web2);
        var changed = await first.NextAsync(Wait);
        Assert.That(changed.VersionInfo, Is.Not.EqualTo(edsA.VersionInfo));
        await first.AckAsync(changed);

        server.Consul.SetService("web", Web1);
        var reverted = await first.NextAsync(Wait);
        Assert.That(reverted.VersionInfo, Is.EqualTo(edsA.VersionInfo));
    }

    [Test]
    public async Task Clusters_are_sent_before_their_assignments_when_both_change()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-order"));
        var empty = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["cache"], Wait);
        var cds = await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);

        server.Consul.SetService("cache", new TestInstance("10.0.3.1", 6379));

        var firstUpdate = await client.NextAsync(Wait);
        var secondUpdate = await client.NextAsync(Wait);
        Assert.That(firstUpdate.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(firstUpdate.ResourceNames(), Does.Contain("cache"));
        Assert.That(secondUpdate.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(secondUpdate.Assignments().Single().EndpointAddresses(), Is.EqualTo(new[] { "10.0.3.1:6379" }));
    }

    [Test]
    public async Task Removed_service_leaves_the_route_before_its_cluster_and_a_new_one_reaches_the_cluster_first()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-break-order"));
        await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        await client.SubscribeAckedAsync(TypeUrls.RouteConfiguration, ["outbound_http"], Wait);

        server.Consul.RemoveService("api");
        var removedFirst = await client.NextAsync(Wait);
        await client.AckAsync(removedFirst);
        var removedSecond = await client.NextAsync(Wait);
        await client.AckAsync(removedSecond);

        server.Consul.SetService("cache", new TestInstance("10.0.3.1", 6379));
        var addedFirst = await client.NextAsync(Wait);
        await client.AckAsync(addedFirst);
        var addedSecond = await client.NextAsync(Wait);

        Assert.Multiple(() =>
        {
            // Removal: no moment where the route names a cluster the proxy no longer has.
            Assert.That(removedFirst.TypeUrl, Is.EqualTo(TypeUrls.RouteConfiguration));
            Assert.That(removedFirst.Routes().Single().VirtualHosts.Select(v => v.Name), Has.No.Member("api"));
            Assert.That(removedSecond.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
            Assert.That(removedSecond.ResourceNames(), Has.No.Member("api"));
            // Addition: the cluster first, then the route that leads to it.
            Assert.That(addedFirst.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
            Assert.That(addedFirst.ResourceNames(), Does.Contain("cache"));
            Assert.That(addedSecond.TypeUrl, Is.EqualTo(TypeUrls.RouteConfiguration));
            Assert.That(addedSecond.Routes().Single().VirtualHosts.Select(v => v.Name), Does.Contain("cache"));
        });
    }

    [Test]
    public async Task A_scoped_node_loses_a_service_route_first_even_when_a_service_outside_its_scope_arrives_at_once()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("envoy-scoped-break-order");
        node.Metadata.Fields["bridge.services"] = Google.Protobuf.WellKnownTypes.Value.ForString("web,api");
        var client = server.Sotw(node);
        await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        await client.SubscribeAckedAsync(TypeUrls.RouteConfiguration, ["outbound_http"], Wait);

        // One catalog change: api (in scope) leaves while cache (out of scope) arrives.
        server.Consul.Apply(
            new Core.Consul.ServiceSetObserved(ImmutableSortedSet.Create(StringComparer.Ordinal, "cache", "db", "web"), 50),
            new Core.Consul.ServiceEntriesObserved("cache", 51, [new TestInstance("10.0.3.1", 6379).ToEntry("cache")]));
        var first = await client.NextAsync(Wait);
        await client.AckAsync(first);
        var second = await client.NextAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(first.TypeUrl, Is.EqualTo(TypeUrls.RouteConfiguration), "a cluster the node never sees is no reason to send clusters first");
            Assert.That(second.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
            Assert.That(second.ResourceNames(), Is.EqualTo(new[] { "web" }));
        });
    }

    [Test]
    public async Task Cluster_change_is_followed_by_its_assignment_even_when_the_endpoints_are_unchanged()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Sotw(AdsNodes.Envoy("envoy-warming"));
        var cds = await client.SubscribeAckedAsync(TypeUrls.Cluster, [], Wait);
        var eds = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["api", "web"], Wait);

        // Only the cluster changes (its connect timeout); Envoy keeps the updated cluster warming until an EDS answer.
        server.Consul.SetService("api", Api1 with { Meta = new Dictionary<string, string> { ["connect_timeout"] = "250ms" } });
        var cdsUpdate = await client.NextAsync(Wait);
        Assert.That(cdsUpdate.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        await client.AckAsync(cdsUpdate);

        // A different, later change gives the stream something to send either way: what comes first tells.
        server.Consul.SetService("web", Web1, Web2);
        var next = await client.NextAsync(Wait);
        Assert.That(next.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(next.ResourceNames(), Does.Contain("api"),
            "after a CDS update of api, the server must send api's ClusterLoadAssignment again (xds-protocol.md §1 warming, §6.16)");
    }
}
