using Bridge.Core.Catalog.Chains;
using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Tests.Catalog.Chains;

/// <summary>Config entries written as Consul returns them, read through the bridge's own decoder.</summary>
internal static class ChainEntries
{
    public const string Dc = "dc1";

    /// <summary>Each string one entry, its kind taken from its <c>Kind</c>.</summary>
    public static ConfigEntrySet Set(params string[] entries)
    {
        var lists = entries
            .GroupBy(json => JsonDocument.Parse(json).RootElement.GetProperty("Kind").GetString()!)
            .Select(group =>
            {
                var kind = ConfigEntryKinds.All.Single(k => k.ApiName() == group.Key);
                var list = ConfigEntryDecoder.Decode(kind, Encoding.UTF8.GetBytes($"[{string.Join(",", group)}]"));
                Assert.That(list.Skipped, Is.Empty, "a test entry could not be read");
                return list;
            });
        return ConfigEntrySet.Create(lists);
    }

    public static string Defaults(string name, string protocol) =>
        $$"""{"Kind":"service-defaults","Name":"{{name}}","Protocol":"{{protocol}}"}""";

    public static DiscoveryChain Compiled(string service, ConfigEntrySet entries, string defaultProtocol = ChainCompiler.DefaultProtocol)
    {
        var result = ChainCompiler.Compile(service, entries, Dc, defaultProtocol);
        Assert.That(result.Error, Is.Null, "the chain should compile");
        return result.Chain!;
    }

    public static ChainError Failed(string service, ConfigEntrySet entries, string defaultProtocol = ChainCompiler.DefaultProtocol)
    {
        var result = ChainCompiler.Compile(service, entries, Dc, defaultProtocol);
        Assert.That(result.Chain, Is.Null, "the chain should not compile");
        return result.Error!;
    }

    public static TargetId T(string service, string subset = "", string datacenter = Dc) => new(service, subset, datacenter);

    public static Target Plain(TargetId id, params TargetId[] failover) =>
        new(id, null, ChainCompiler.DefaultConnectTimeout, null, null, [.. failover]);

    public static TargetDestination To(TargetId id) => new(id);

    public static Split Share(decimal weight, TargetId id) => new(weight, id);

    public static RouteRule CatchAll(RouteDestination destination) => new(RouteMatch.Everything, destination) { IsCatchAll = true };
}
