using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using SocketAddress = Envoy.Config.Core.V3.SocketAddress;

namespace Bridge.Tests.Xds;

/// <summary>
/// Responses are encoded by hand, once for every stream sent the same content, with each stream's nonce written
/// after the body: what a proxy decodes must be exactly the message the generated code would have written.
/// </summary>
public sealed class ResponseBodyTests
{
    private static readonly XdsResource Small = XdsCache.EmptyAssignment("web");

    // Over 16 KiB, so that every length in it takes a multi-byte varint.
    private static readonly XdsResource Large = XdsResource.Create("big-é", new ClusterLoadAssignment
    {
        ClusterName = "big-é",
        Endpoints =
        {
            new LocalityLbEndpoints
            {
                LbEndpoints =
                {
                    Enumerable.Range(0, 1000).Select(i => new LbEndpoint
                    {
                        Endpoint = new Endpoint { Address = new Address { SocketAddress = new SocketAddress { Address = $"10.0.{i / 250}.{i % 250}", PortValue = 8080 } } },
                    }),
                },
            },
        },
    });

    private static readonly XdsResource ApiCluster = XdsResource.Create("api", new Cluster { Name = "api", Type = Cluster.Types.DiscoveryType.Eds });

    private static IEnumerable<TestCaseData> Lists()
    {
        yield return new TestCaseData(new List<XdsResource>()).SetName("no resources");
        yield return new TestCaseData(new List<XdsResource> { Small }).SetName("one small resource");
        yield return new TestCaseData(new List<XdsResource> { Large }).SetName("one resource over 16 KiB with a non-ASCII name");
        yield return new TestCaseData(new List<XdsResource> { Small, Large, Small }).SetName("several resources");
    }

    [TestCaseSource(nameof(Lists))]
    public void State_of_the_world_body_with_a_nonce_decodes_as_the_generated_message(List<XdsResource> resources)
    {
        var typeUrl = TypeUrls.ClusterLoadAssignment;
        var body = ResponseBody.Sotw(typeUrl, "v1", resources);

        var decoded = DiscoveryResponse.Parser.ParseFrom(new EncodedResponse(body, "1234567").ToArray());

        var expected = new DiscoveryResponse { VersionInfo = "v1", TypeUrl = typeUrl, Nonce = "1234567", ControlPlane = ControlPlaneIdentity.Value };
        expected.Resources.AddRange(resources.Select(r => r.Packed));
        Assert.Multiple(() =>
        {
            Assert.That(decoded, Is.EqualTo(expected));
            Assert.That(body.Length + 2 + "1234567".Length, Is.EqualTo(expected.CalculateSize()), "the nonce's field is the only bytes not in the body");
        });
    }

    [TestCaseSource(nameof(Lists))]
    public void Delta_body_with_removals_and_a_nonce_decodes_as_the_generated_message(List<XdsResource> resources)
    {
        var typeUrl = TypeUrls.ClusterLoadAssignment;
        string[] removed = ["gone", "", "ünï"];
        var body = ResponseBody.Delta(typeUrl, "sys", resources, removed);

        var decoded = DeltaDiscoveryResponse.Parser.ParseFrom(new EncodedResponse(body, "9").ToArray());

        var expected = new DeltaDiscoveryResponse { SystemVersionInfo = "sys", TypeUrl = typeUrl, Nonce = "9", ControlPlane = ControlPlaneIdentity.Value, RemovedResources = { removed } };
        expected.Resources.AddRange(resources.Select(r => new Resource { Name = r.Name, Version = r.Version, Resource_ = r.Packed }));
        Assert.That(decoded, Is.EqualTo(expected));
    }

    [Test]
    public void Bodies_are_shared_by_type_protocol_and_version()
    {
        var bodies = new ResponseBodies();
        List<XdsResource> list = [ApiCluster, Large];

        var first = bodies.Sotw(TypeUrls.Cluster, "h1", list);
        var again = bodies.Sotw(TypeUrls.Cluster, "h1", [.. list]);
        var delta = bodies.Delta(TypeUrls.Cluster, "h1", list, []);

        Assert.Multiple(() =>
        {
            Assert.That(again, Is.SameAs(first), "the same type and version is the same content: encoded once");
            Assert.That(delta, Is.Not.SameAs(first), "a delta response of the same version is another encoding");
            Assert.That(bodies.Delta(TypeUrls.Cluster, "h1", [], []), Is.SameAs(delta));
        });
    }
}
