using Envoy.Service.Discovery.V3;
using Grpc.Core;

using static Bridge.Tests.Ads.SmallCatalog;

namespace Bridge.Tests.Ads.Delta;

/// <summary>Incremental ADS over a real gRPC socket: only differences are sent, removals are named.</summary>
[TestFixture]
[CancelAfter(20_000)]
public sealed class DeltaDiscoveryTests
{
    private static readonly TimeSpan Wait = InProcessBridge.Wait;

    /// <summary>ACKs <paramref name="response"/> and waits until the server logged it: every earlier request is applied.</summary>
    private static async Task AckAndWaitAsync(InProcessBridge server, DeltaAdsClient client, DeltaDiscoveryResponse response)
    {
        var mark = server.Logs.Mark();
        await client.AckAsync(response);
        await server.Logs.WaitForAsync(AdsEvents.Ack, e => e.Field("NodeId") == client.Node.Id && e.Field("Version") == response.Nonce, Wait, mark);
    }

    [Test]
    public async Task Subscribing_to_names_returns_those_resources_each_with_its_own_version()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-1"));

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"]);
        var response = await client.NextAsync(Wait);

        Assert.That(response.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(response.Nonce, Is.Not.Empty);
        Assert.That(response.RemovedResources, Is.Empty);
        var versions = response.ResourceVersions();
        Assert.That(versions.Keys, Is.EquivalentTo(new[] { "api", "web" }));
        Assert.That(versions.Values, Has.None.Empty);
        Assert.That(versions["web"], Is.Not.EqualTo(versions["api"]));
        Assert.That(response.Resources.Select(r => r.Resource_.TypeUrl), Has.All.EqualTo(response.TypeUrl));
        var assignments = response.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>();
        Assert.That(assignments["web"].ClusterName, Is.EqualTo("web"));
        Assert.That(assignments["web"].EndpointAddresses(), Is.EqualTo(new[] { Web1.Endpoint }));

        // The same content has the same version on any stream.
        var other = server.Delta(AdsNodes.Envoy("delta-2"));
        await other.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        Assert.That((await other.NextAsync(Wait)).ResourceVersions()["web"], Is.EqualTo(versions["web"]));
    }

    [Test]
    public async Task Unsubscribe_needs_no_response_and_later_changes_to_that_name_are_not_sent()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-unsub"));
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"]);
        var first = await client.NextAsync(Wait);
        await AckAndWaitAsync(server, client, first);

        await client.UnsubscribeAsync(TypeUrls.ClusterLoadAssignment, ["api"]);
        // A later request the stream must answer: an answer to the unsubscribe would come before it.
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["db"]);
        var answer = await client.NextAsync(Wait);
        Assert.That(answer.ResourceNames(), Is.EqualTo(new[] { "db" }), $"a pure unsubscribe was answered: {answer}");
        Assert.That(answer.RemovedResources, Is.Empty, $"a pure unsubscribe was answered: {answer}");
        await AckAndWaitAsync(server, client, answer);

        server.Consul.SetService("api", Api1 with { Port = 9191 });
        server.Consul.SetService("web", Web2);

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }), "a change to the unsubscribed api was sent");
        Assert.That(next.RemovedResources, Is.Empty);
    }

    [Test]
    public async Task Phantom_unsubscribe_is_ignored()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-phantom"));
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var first = await client.NextAsync(Wait);
        await AckAndWaitAsync(server, client, first);

        await client.UnsubscribeAsync(TypeUrls.ClusterLoadAssignment, ["never-subscribed"]);
        server.Consul.SetService("web", Web2);

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }));
        Assert.That(next.RemovedResources, Is.Empty);
    }

    [Test]
    public async Task Wildcard_subscription_returns_every_cluster_and_later_new_ones()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-star"));

        await client.SubscribeAsync(TypeUrls.Cluster, [AdsClient.Wildcard]);
        var first = await client.NextAsync(Wait);
        Assert.That(first.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
        await client.AckAsync(first);

        server.Consul.SetService("cache", new TestInstance("10.0.3.1", 6379));
        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "cache" }), "only the new cluster");
    }

    [Test]
    public async Task Legacy_empty_first_CDS_request_is_a_wildcard()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-legacy"));

        await client.SubscribeAsync(TypeUrls.Cluster, []);

        var first = await client.NextAsync(Wait);
        Assert.That(first.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
    }

    [Test]
    public async Task First_wildcard_request_is_answered_even_when_there_are_no_clusters()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        server.Consul.Sync();
        var client = server.Delta(AdsNodes.Envoy("delta-empty-wildcard"));

        await client.SubscribeAsync(TypeUrls.Cluster, [AdsClient.Wildcard]);
        // Something the stream must answer either way, after the wildcard: which comes first tells.
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);

        var first = await client.NextAsync(Wait);
        Assert.That(first.TypeUrl, Is.EqualTo(TypeUrls.Cluster),
            "an Envoy waits for an answer to its first wildcard CDS request before it finishes initialising (xds-protocol.md §6.13)");
        Assert.That(first.Resources, Is.Empty);
        Assert.That(first.RemovedResources, Is.Empty);
    }

    [Test]
    public async Task Leaving_the_wildcard_keeps_explicit_names_and_stops_the_rest()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-leave-star"));
        await client.SubscribeAsync(TypeUrls.Cluster, [AdsClient.Wildcard, "web"]);
        var all = await client.NextAsync(Wait);
        await AckAndWaitAsync(server, client, all);

        await client.UnsubscribeAsync(TypeUrls.Cluster, [AdsClient.Wildcard]);
        // A later request the stream must answer: an answer to leaving the wildcard would come before it.
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["db"]);
        var answer = await client.NextAsync(Wait);
        Assert.That(answer.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment), $"leaving the wildcard was answered: {answer}");
        await AckAndWaitAsync(server, client, answer);

        server.Consul.SetService("api", Api1 with { Meta = new Dictionary<string, string> { ["lb_policy"] = "ring_hash" } });
        server.Consul.SetService("web", Web1 with { Meta = new Dictionary<string, string> { ["lb_policy"] = "ring_hash" } });

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }), "a cluster only the wildcard covered was sent");
        Assert.That(next.RemovedResources, Is.Empty);
    }

    [Test]
    public async Task Reconnect_with_the_versions_it_holds_resends_nothing()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-resume"));
        await client.SubscribeAckedAsync(TypeUrls.Cluster, [AdsClient.Wildcard], Wait);
        await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"], Wait);
        Assert.That(client.HeldVersions(TypeUrls.ClusterLoadAssignment).Keys, Is.EquivalentTo(new[] { "api", "web" }));

        var resumed = server.Track(await client.ReconnectAsync());
        server.Consul.SetService("api", Api1 with { Port = 9191 });

        var next = await resumed.NextAsync(Wait);
        Assert.That(next.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment), "clusters the client holds were resent");
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "api" }), "assignments the client holds were resent");
    }

    [Test]
    public async Task Reconnect_with_one_stale_version_resends_only_that_resource()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("delta-stale-version");
        var client = server.Delta(node);
        var first = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web", "api", "db"], Wait);
        var held = client.Subscriptions.Single();
        await client.DisposeAsync();

        var stale = held with { InitialVersions = new Dictionary<string, string>(held.InitialVersions) { ["web"] = "stale-version" } };
        var resumed = server.Track(await DeltaAdsClient.ResumeAsync(server.Channel, node, [stale]));

        var next = await resumed.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }));
        Assert.That(next.ResourceVersions()["web"], Is.EqualTo(first.ResourceVersions()["web"]));
        Assert.That(next.RemovedResources, Is.Empty);
    }

    [Test]
    public async Task Reconnect_with_names_that_no_longer_exist_lists_them_in_removed_resources()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-vanished"));
        await client.SubscribeAckedAsync(TypeUrls.Cluster, [AdsClient.Wildcard], Wait);
        await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"], Wait);
        var subscriptions = client.Subscriptions;
        await client.DisposeAsync();

        server.Consul.RemoveService("api");
        var resumed = server.Track(await DeltaAdsClient.ResumeAsync(server.Channel, client.Node, subscriptions));

        var cds = await resumed.NextAsync(Wait);
        Assert.That(cds.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(cds.Resources, Is.Empty);
        Assert.That(cds.RemovedResources, Is.EqualTo(new[] { "api" }));
        var eds = await resumed.NextAsync(Wait);
        Assert.That(eds.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(eds.Resources, Is.Empty);
        Assert.That(eds.RemovedResources, Is.EqualTo(new[] { "api" }));
    }

    [Test]
    public async Task Service_removal_is_sent_as_removed_resources()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-removal"));
        await client.SubscribeAckedAsync(TypeUrls.Cluster, [AdsClient.Wildcard], Wait);
        await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["api"], Wait);

        server.Consul.RemoveService("api");

        var cds = await client.NextAsync(Wait);
        Assert.That(cds.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
        Assert.That(cds.Resources, Is.Empty);
        Assert.That(cds.RemovedResources, Is.EqualTo(new[] { "api" }));
        await client.AckAsync(cds);
        var eds = await client.NextAsync(Wait);
        Assert.That(eds.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(eds.RemovedResources, Is.EqualTo(new[] { "api" }));
        await client.AckAsync(eds);
        Assert.That(client.HeldVersions(TypeUrls.Cluster).Keys, Is.EquivalentTo(new[] { "db", "web" }));
        Assert.That(client.HeldVersions(TypeUrls.ClusterLoadAssignment), Is.Empty);
    }

    [Test]
    public async Task Removed_service_leaves_the_route_before_its_cluster_is_removed()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-break-order"));
        await client.SubscribeAckedAsync(TypeUrls.Cluster, [AdsClient.Wildcard], Wait);
        await client.SubscribeAckedAsync(TypeUrls.RouteConfiguration, ["outbound_http"], Wait);

        server.Consul.RemoveService("api");
        var first = await client.NextAsync(Wait);
        await client.AckAsync(first);
        var second = await client.NextAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(first.TypeUrl, Is.EqualTo(TypeUrls.RouteConfiguration));
            Assert.That(second.TypeUrl, Is.EqualTo(TypeUrls.Cluster));
            Assert.That(second.RemovedResources, Is.EqualTo(new[] { "api" }));
        });
    }

    [Test]
    public async Task Subscribing_to_a_missing_name_is_answered_as_removed_and_the_resource_is_sent_when_it_appears()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-missing"));

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["cache"]);
        var missing = await client.NextAsync(Wait);
        Assert.That(missing.Resources, Is.Empty);
        Assert.That(missing.RemovedResources, Is.EqualTo(new[] { "cache" }));
        await client.AckAsync(missing);

        server.Consul.SetService("cache", new TestInstance("10.0.3.1", 6379));

        var appeared = await client.NextAsync(Wait);
        Assert.That(appeared.ResourceNames(), Is.EqualTo(new[] { "cache" }));
        Assert.That(appeared.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>()["cache"].EndpointAddresses(), Is.EqualTo(new[] { "10.0.3.1:6379" }));
    }

    [Test]
    public async Task Nack_the_rejected_version_is_not_resent_but_a_later_change_is()
    {
        await using var server = await StartSyncedAsync();
        var node = AdsNodes.Envoy("delta-nack");
        var client = server.Delta(node);
        var accepted = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);

        server.Consul.SetService("web", Web1, Web2);
        var rejected = await client.NextAsync(Wait);
        var mark = server.Logs.Mark();
        await client.NackAsync(rejected, "delta endpoint refused by test");
        var nack = await server.Logs.WaitForAsync(AdsEvents.Nack, e => e.Field("NodeId") == node.Id, Wait, mark);
        Assert.That(nack.Field("ErrorDetail"), Is.EqualTo("delta endpoint refused by test"));

        server.Consul.SetService("web", Web2);

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceVersions()["web"], Is.Not.EqualTo(rejected.ResourceVersions()["web"]), "the rejected version was sent again");
        Assert.That(next.Unpack<Envoy.Config.Endpoint.V3.ClusterLoadAssignment>()["web"].EndpointAddresses(), Is.EqualTo(new[] { Web2.Endpoint }));
        Assert.That(client.HeldVersions(TypeUrls.ClusterLoadAssignment)["web"], Is.EqualTo(accepted.ResourceVersions()["web"]));
    }

    [Test]
    public async Task Wildcard_plus_an_explicit_name_then_unsubscribing_the_name_resends_it()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-star-plus"));
        await client.SubscribeAsync(TypeUrls.Cluster, [AdsClient.Wildcard, "web"]);
        var all = await client.NextAsync(Wait);
        Assert.That(all.ResourceNames(), Is.EquivalentTo(new[] { "api", "db", "web" }));
        await client.AckAsync(all);

        await client.UnsubscribeAsync(TypeUrls.Cluster, ["web"]);

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "web" }), "the wildcard still covers web: it must be sent as a resource");
        Assert.That(next.RemovedResources, Is.Empty);
    }

    [Test]
    public async Task Resubscribing_to_a_held_name_resends_it()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-resubscribe"));
        var first = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);

        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);

        var again = await client.NextAsync(Wait);
        Assert.That(again.ResourceVersions(), Is.EqualTo(first.ResourceVersions()));
    }

    [Test]
    public async Task Subscription_change_with_a_stale_nonce_is_still_applied()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-stale-nonce"));
        var first = await client.SubscribeAckedAsync(TypeUrls.ClusterLoadAssignment, ["web"], Wait);
        server.Consul.SetService("web", Web2);
        var second = await client.NextAsync(Wait);
        await client.AckAsync(second);

        await client.SendAsync(new DeltaDiscoveryRequest
        {
            TypeUrl = TypeUrls.ClusterLoadAssignment,
            ResponseNonce = first.Nonce,
            ResourceNamesSubscribe = { "api" },
        });

        var next = await client.NextAsync(Wait);
        Assert.That(next.ResourceNames(), Is.EqualTo(new[] { "api" }));
    }

    [Test]
    public async Task Delta_stream_opened_before_the_first_catalog_sync_is_answered_only_after_it()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test });
        var node = AdsNodes.Envoy("delta-early");
        var client = server.Delta(node);
        var mark = server.Logs.Mark();
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web", "api"]);
        await server.Logs.WaitForAsync(AdsEvents.StreamOpened, e => e.Field("NodeId") == node.Id, Wait, mark);
        server.Consul.Apply(
            [
                .. ConsulFeed.NoRouting(),
                new Core.Consul.ServiceSetObserved(["api", "web"], 1),
                new Core.Consul.ServiceEntriesObserved("web", 2, [Web1.ToEntry("web")]),
            ]);
        // Not answered yet: an answer now would name web alone and report api missing, and it would be the first.

        server.Consul.Apply(new Core.Consul.ServiceEntriesObserved("api", 3, [Api1.ToEntry("api")]));

        var first = await client.NextAsync(Wait);
        Assert.That(first.ResourceNames(), Is.EquivalentTo(new[] { "api", "web" }));
        Assert.That(first.RemovedResources, Is.Empty, "api was reported missing before the catalog had read it");
    }

    [Test]
    public async Task Missing_type_url_ends_the_delta_stream_with_invalid_argument()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-no-type"));

        await client.SendAsync(new DeltaDiscoveryRequest { ResourceNamesSubscribe = { "web" } });

        var status = await client.Completion.WaitAsync(Wait);
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
    }

    [Test]
    public async Task Unknown_type_url_keeps_the_delta_stream_open()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Envoy("delta-unknown-type"));

        await client.SendAsync(new DeltaDiscoveryRequest { TypeUrl = "type.googleapis.com/envoy.config.nosuch.v3.Thing", ResourceNamesSubscribe = { "x" } });
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);

        var eds = await client.NextAsync(Wait);
        Assert.That(eds.TypeUrl, Is.EqualTo(TypeUrls.ClusterLoadAssignment));
        Assert.That(eds.ResourceNames(), Is.EqualTo(new[] { "web" }));
    }

    [Test]
    public async Task Initial_versions_count_towards_the_name_limit()
    {
        await using var server = await InProcessBridge.StartAsync(new() { Catalog = CatalogFeed.Test, Settings = new Dictionary<string, string?> { ["Ads:MaxResourceNamesPerRequest"] = "4" } });
        server.Consul.Sync(("web", [Web1]));
        var held = Enumerable.Range(0, 4).ToDictionary(i => $"svc-{i}", _ => "v1");

        var client = server.Track(await DeltaAdsClient.ResumeAsync(server.Channel, AdsNodes.Envoy("delta-limit"),
            [new DeltaSubscription(TypeUrls.ClusterLoadAssignment, ["web"], held)]));

        var status = await client.Completion.WaitAsync(Wait);
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
    }

    [Test]
    public async Task Grpc_node_delta_listener_by_name_is_an_api_listener()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Grpc("delta-grpc"));

        await client.SubscribeAsync(TypeUrls.Listener, ["web"]);

        var lds = await client.NextAsync(Wait);
        var listener = lds.Unpack<Envoy.Config.Listener.V3.Listener>()["web"];
        Assert.That(listener.ApiListener, Is.Not.Null);
    }

    [Test]
    public async Task Auto_ack_client_holds_what_it_was_sent_and_stamps_receive_times()
    {
        await using var server = await StartSyncedAsync();
        var client = server.Delta(AdsNodes.Create("delta-auto", "envoy"), new AdsClientOptions { AutoAck = true });
        await client.SubscribeAsync(TypeUrls.ClusterLoadAssignment, ["web"]);
        var first = await client.NextReceivedAsync(Wait);
        await server.Logs.WaitForAsync(AdsEvents.Ack, e => e.Field("NodeId") == "delta-auto" && e.Field("Version") == first.Response.Nonce, Wait);

        var changedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        server.Consul.SetService("web", Web2);
        var update = await client.NextReceivedAsync(Wait);

        Assert.That(update.Since(changedAt), Is.GreaterThan(TimeSpan.Zero).And.LessThan(Wait));
        await server.Logs.WaitForAsync(AdsEvents.Ack, e => e.Field("NodeId") == "delta-auto" && e.Field("Version") == update.Response.Nonce, Wait);
        Assert.That(client.HeldVersions(TypeUrls.ClusterLoadAssignment)["web"], Is.EqualTo(update.Response.ResourceVersions()["web"]));
    }
}
