using Bridge.Core.Consul;

namespace Bridge.Tests.Catalog;

/// <summary>Builds Consul health entries the way <c>/v1/health/service</c> returns them.</summary>
internal static class Entries
{
    public static HealthServiceEntry Entry(
        string node,
        string serviceId,
        string service = "web",
        string nodeAddress = "10.0.0.1",
        string? address = null,
        int port = 8080,
        string datacenter = "dc1",
        IReadOnlyList<string>? tags = null,
        ServiceWeights? weights = null,
        IReadOnlyDictionary<string, string>? nodeMeta = null,
        IReadOnlyDictionary<string, string>? meta = null,
        params HealthCheck[] checks) =>
        new()
        {
            Node = new ConsulNode { Node = node, Address = nodeAddress, Datacenter = datacenter, Meta = nodeMeta },
            Service = new AgentService
            {
                ID = serviceId,
                Service = service,
                Address = address,
                Port = port,
                Tags = tags ?? [],
                Weights = weights,
                Meta = meta,
            },
            Checks = checks,
        };

    public static HealthCheck Check(string status, string checkId = "service:web", string serviceId = "web") =>
        new() { CheckID = checkId, Name = checkId, Status = status, ServiceID = serviceId };

    public static HealthCheck NodeCheck(string status, string checkId = "serfHealth") =>
        new() { CheckID = checkId, Name = checkId, Status = status, ServiceID = "" };
}
