using Bridge.Core.Consul;
using Bridge.DevAgent;
using Envoy.Config.Endpoint.V3;

namespace Bridge.Tests.Consul;

/// <summary>
/// Every registration Consul accepts, at the edge of each field's range (Bridge.Testing's corpus, derived from
/// Consul's own validation), registered in one dev agent beside a plain instance of the same service and read
/// through the real client, watcher, catalog store and translator: the bridge becomes ready, every service is
/// served, every instance Consul lists is in the catalog, and exactly the instances an endpoint can represent
/// (a port in 1-65535, an IP literal address) are in the assignment, the others listed as left out.
/// </summary>
[TestFixture]
public sealed class ExtremeRegistrationCorpusTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private DevAgentServer _agent = null!;
    private CatalogStore _store = null!;
    private XdsCache _cache = null!;
    private CancellationTokenSource _cts = null!;
    private Task _pipeline = null!;
    private List<ExtremeRegistration> _cases = null!;

    [OneTimeSetUp]
    public async Task StartPipelineOverTheWholeCorpus()
    {
        _agent = await DevAgentServer.StartAsync(new DevAgentOptions { Url = "http://127.0.0.1:0" });
        using var http = new HttpClient { BaseAddress = _agent.Address };
        _cases = [.. ExtremeRegistrations.Accepted];
        var sibling = 0;
        foreach (var registration in _cases)
        {
            using var reply = await http.PutAsync(registration.Path, new StringContent(registration.Body, Encoding.UTF8, "application/json"));
            Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{registration}: {await reply.Content.ReadAsStringAsync()}");
        }

        foreach (var service in _cases.Select(c => c.ServiceName).Distinct(StringComparer.Ordinal))
        {
            sibling++;
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["Node"] = "sibling-node",
                ["Address"] = "10.250.0.1",
                ["Service"] = new Dictionary<string, object> { ["ID"] = $"sibling-{sibling}", ["Service"] = service, ["Port"] = 9000 + sibling },
            });
            using var reply = await http.PutAsync("/v1/catalog/register", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"sibling of {service}: {await reply.Content.ReadAsStringAsync()}");
        }

        var options = new ConsulOptions { Address = _agent.Address.ToString(), Wait = TimeSpan.FromSeconds(30) };
        var client = new ConsulClient(new HttpClient { BaseAddress = _agent.Address, Timeout = Timeout.InfiniteTimeSpan }, options);
        var watcher = new CatalogWatcher(client, options, new FakeLogger<CatalogWatcher>());
        _store = new CatalogStore(new FakeLogger<CatalogStore>());
        _store.Apply([.. ConsulFeed.NoRouting()]);
        _cache = new XdsCache(new XdsOptions(), new FakeLogger<XdsCache>());
        _store.Subscribe(_cache.Apply);
        _cts = new CancellationTokenSource();
        var events = Channel.CreateUnbounded<ConsulEvent>();
        _pipeline = Task.WhenAll(watcher.RunAsync(events.Writer, _cts.Token), _store.RunAsync(events.Reader, _cts.Token));
        await _store.Synced.WaitAsync(Patience);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _cts.CancelAsync();
        try
        {
            await _pipeline;
        }
        catch (OperationCanceledException)
        {
        }

        _cts.Dispose();
        await _agent.DisposeAsync();
    }

    public static IEnumerable<TestCaseData> Cases() =>
        ExtremeRegistrations.Accepted.Select(c => new TestCaseData(c).SetName($"Served: {c}"));

    [Test]
    public void The_bridge_is_ready_with_every_service_and_nothing_unread()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_cache.Current.Ready, Is.True);
            Assert.That(_store.Current.Services.Keys, Is.SupersetOf(_cases.Select(c => c.ServiceName).Distinct()));
            Assert.That(_store.Unread, Is.Empty);
            Assert.That(_store.Current.Services.Values.SelectMany(s => s.LeftOut), Is.Empty, "every answer Consul gives for these can be read");
        });
    }

    [TestCaseSource(nameof(Cases))]
    public void Every_representable_instance_is_served_beside_its_sibling_and_the_rest_are_left_out_by_name(ExtremeRegistration registration)
    {
        var service = _store.Current.Services[registration.ServiceName];
        var instance = service.Instances.SingleOrDefault(i => i.Key.ServiceId == registration.ServiceId);
        Assert.That(instance, Is.Not.Null, "every instance Consul lists is in the catalog");

        var assignment = _cache.Current.Get(ClientKind.Envoy, TypeUrls.ClusterLoadAssignment).ByName[registration.ServiceName].Packed.Unpack<ClusterLoadAssignment>();
        var endpoints = assignment.Endpoints.SelectMany(l => l.LbEndpoints).Select(e => (e.Endpoint.Address.SocketAddress.Address, (long)e.Endpoint.Address.SocketAddress.PortValue)).ToList();
        var leftOut = _cache.Current.LeftOut.GetValueOrDefault(registration.ServiceName);
        var sibling = service.Instances.Single(i => i.Key.Node == "sibling-node");
        Assert.Multiple(() =>
        {
            Assert.That(endpoints, Does.Contain(("10.250.0.1", sibling.Port)), "the plain instance beside it is always served");
            if (Representable(instance!.Address, instance.Port) is { } address)
            {
                Assert.That(endpoints, Does.Contain((address, instance.Port)), $"{instance.Address}:{instance.Port} can be an endpoint");
            }
            else
            {
                Assert.That(endpoints, Has.Exactly(1).Items, $"{instance.Address}:{instance.Port} cannot be an endpoint");
                Assert.That(leftOut.IsDefault ? [] : leftOut.Select(l => l.ServiceId), Does.Contain(registration.ServiceId), "and it is listed as left out");
            }
        });
    }

    /// <summary>Envoy's and gRPC's rule for an endpoint: a TCP port, and an IPv4 dotted quad or an IPv6 literal without a zone.</summary>
    private static string? Representable(string address, long port)
    {
        if (port is < 1 or > 65535 || !IPAddress.TryParse(address, out var ip))
        {
            return null;
        }

        return ip.AddressFamily switch
        {
            AddressFamily.InterNetwork when ip.ToString() == address => address,
            AddressFamily.InterNetworkV6 when address.Contains(':') && ip.ScopeId == 0 => ip.ToString(),
            _ => null,
        };
    }
}
