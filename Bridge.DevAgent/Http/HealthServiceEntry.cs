using Bridge.DevAgent.Catalog;

namespace Bridge.DevAgent.Http;

/// <summary>One element of <c>/v1/health/service/&lt;name&gt;</c> (Consul's <c>CheckServiceNode</c>).</summary>
internal sealed record HealthServiceEntry(NodeRecord Node, ServiceRecord Service, IReadOnlyList<CheckRecord> Checks);
