using Bridge.Core.Catalog.Chains;
using Bridge.Core.Xds.Chains;
using Bridge.Tests.Catalog.Chains;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf;

namespace Bridge.Tests.Xds.Chains;

/// <summary>Chains compiled from entries as Consul returns them, translated, and read back as a client decodes them.</summary>
internal static class ChainFixture
{
    public const string Dc = ChainEntries.Dc;

    public static ChainTranslator Translator(bool grpcRingHash = false, XdsOptions? options = null) =>
        new(new ResourceTranslator(options ?? new XdsOptions(), new FakeLogger()), grpcRingHash);

    public static DiscoveryChain Chain(string service, params string[] entries) => ChainEntries.Compiled(service, ChainEntries.Set(entries));

    public static ServicePolicy DefaultPolicy(string service) => ServicePolicy.Default;

    /// <summary>What a client decodes: the message through the same Any packing the cache serves, read with our protos.</summary>
    public static T Served<T>(T message)
        where T : IMessage<T>, new()
    {
        var name = message switch
        {
            Cluster c => c.Name,
            RouteConfiguration r => r.Name,
            Envoy.Config.Endpoint.V3.ClusterLoadAssignment a => a.ClusterName,
            _ => "resource",
        };
        var packed = XdsResource.Create(name, message).Packed;
        return packed.Unpack<T>();
    }

    public static Dictionary<string, Cluster> Clusters(DiscoveryChain chain, ClientKind kind, ChainTranslator? translator = null, List<ChainNote>? notes = null, Func<string, ServicePolicy>? policyOf = null) =>
        (translator ?? Translator()).Clusters(chain, kind, policyOf ?? DefaultPolicy, notes).Select(Served).ToDictionary(c => c.Name);

    public static List<Route> EnvoyRoutes(DiscoveryChain chain, List<ChainNote>? notes = null) =>
        Served(new RouteConfiguration { VirtualHosts = { new VirtualHost { Name = chain.ServiceName, Routes = { Translator().EnvoyRoutes(chain, notes) } } } })
            .VirtualHosts.Single().Routes.ToList();

    public static List<Route> GrpcRoutes(DiscoveryChain chain, List<ChainNote>? notes = null, ChainTranslator? translator = null) =>
        Served((translator ?? Translator()).GrpcRoute(chain, notes)).VirtualHosts.Single().Routes.ToList();

    public static string Router(string service, string routes) =>
        $$"""{"Kind":"service-router","Name":"{{service}}","Routes":{{routes}}}""";

    public static string Http(string service) => ChainEntries.Defaults(service, "http");
}
