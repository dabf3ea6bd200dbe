using System.Text.Json.Nodes;
using Bridge.DevAgent;
using Bridge.DevAgent.Catalog;

namespace Bridge.Tests.DevAgent;

/// <summary>
/// What Consul accepts in a service registration, field class by field class; the dev agent must accept, echo
/// and refuse exactly the same. The cases, with their sources, live in <see cref="ExtremeRegistrations"/> so
/// that other suites can register the same edges against the bridge:
/// <list type="table">
/// <item><term>Name</term><description>any non-empty string (DNS-unfriendly names only warn); empty: 400.</description></item>
/// <item><term>ID</term><description>any string; empty means the name; the catalog wants a name with an ID (500).</description></item>
/// <item><term>Port</term><description>any 64-bit number on both endpoints; 0 is left out of the health entry; beyond 64 bits,
/// fractions and strings are decode errors (400).</description></item>
/// <item><term>Weights</term><description>agent: passing 1..65535, warning 0..65535, else 400; catalog: anything, invalid pairs
/// silently become 1/1.</description></item>
/// <item><term>Address</term><description>anything but exactly <c>0.0.0.0</c>, <c>::</c>, <c>[::]</c>; Go-parsable IPs add default
/// tagged addresses on the agent.</description></item>
/// <item><term>TaggedAddresses</term><description>agent: <c>lan_ipv4</c>/<c>wan_ipv4</c> IPv4, <c>lan_ipv6</c> IPv6, else 500
/// (<c>wan_ipv6</c> unchecked); catalog: unchecked.</description></item>
/// <item><term>Meta</term><description>agent: 64 pairs, keys <c>[a-zA-Z0-9_-]</c> up to 128, no <c>consul-</c>, values up to 512
/// bytes, else 400; catalog: unchecked.</description></item>
/// <item><term>Tags</term><description>anything, kept as given.</description></item>
/// <item><term>Kind</term><description>anything; proxies and mesh/terminating gateways need a port.</description></item>
/// <item><term>Node</term><description>catalog: a name, an address, and a UUID if an ID is given (500s).</description></item>
/// </list>
/// </summary>
[Parallelizable(ParallelScope.All)]
public sealed class RegistrationRulesTests
{
    private TestAgent _agent = null!;

    [OneTimeSetUp]
    public async Task StartAgent() => _agent = await TestAgent.StartAsync();

    [OneTimeTearDown]
    public async Task StopAgent() => await _agent.DisposeAsync();

    public static IEnumerable<TestCaseData> AcceptedCases() =>
        ExtremeRegistrations.Accepted.Select(c => new TestCaseData(c).SetName($"Accepted: {c}"));

    public static IEnumerable<TestCaseData> RefusedCases() =>
        ExtremeRegistrations.Refused.Select(c => new TestCaseData(c).SetName($"Refused: {c}"));

    [TestCaseSource(nameof(AcceptedCases))]
    public async Task Consul_accepts_it_and_the_health_entry_shows_it_as_consul_would(ExtremeRegistration registration)
    {
        var reply = await _agent.PutAsync(registration.Path, registration.Body);
        Assert.That(reply.Status, Is.EqualTo(HttpStatusCode.OK), reply.Body);

        var health = await _agent.GetAsync("/v1/health/service/" + Uri.EscapeDataString(registration.ServiceName));
        var entry = health.Json.EnumerateArray().Single(e => e.GetProperty("Service").GetProperty("ID").GetString() == registration.ServiceId);
        Assert.Multiple(() =>
        {
            foreach (var field in registration.Echo)
            {
                var actual = Find(entry, field.Path);
                if (field.Expected is not { } expected)
                {
                    Assert.That(actual, Is.Null, $"{field} (got {actual?.GetRawText()})");
                    continue;
                }

                Assert.That(actual, Is.Not.Null, $"{field} (missing)");
                Assert.That(JsonNode.DeepEquals(JsonNode.Parse(actual!.Value.GetRawText()), expected), Is.True, $"{field} (got {actual.Value.GetRawText()})");
            }
        });
    }

    [TestCaseSource(nameof(RefusedCases))]
    public async Task Consul_refuses_it_with_its_own_status_and_text_and_nothing_is_registered(ExtremeRegistration registration)
    {
        var reply = await _agent.PutAsync(registration.Path, registration.Body);

        Assert.That((int)reply.Status, Is.EqualTo(registration.RefusedStatus));
        var text = registration.RefusedText ?? string.Empty;
        Assert.That(reply.Body, registration.RefusedTextIsPrefix ? Does.StartWith(text) : Is.EqualTo(text));
        if (registration.ServiceName.Length > 0)
        {
            var health = await _agent.GetAsync("/v1/health/service/" + Uri.EscapeDataString(registration.ServiceName));
            Assert.That(health.Body, Is.EqualTo("[]"));
        }
    }

    [Test]
    public void The_csharp_api_refuses_what_the_http_api_refuses()
    {
        var refused = Assert.Throws<DevAgentException>(() => _agent.Server.Catalog.RegisterAgentService(new AgentServiceRegistration
        {
            Name = "csharp-weights",
            Weights = new ServiceWeights(65536, 1),
        }));

        Assert.That((refused!.StatusCode, refused.Message), Is.EqualTo((400, "Invalid Weights: DNS Weight must be between 0 and 65535")));
    }

    private static JsonElement? Find(JsonElement element, IReadOnlyList<string> path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element;
    }
}
