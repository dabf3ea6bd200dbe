using System.Text.Encodings.Web;
using Bridge.DevAgent.Acl;
using Bridge.DevAgent.Catalog;
using Bridge.DevAgent.ConfigEntries;
using Bridge.DevAgent.Diagnostics;
using Bridge.DevAgent.Faults;
using Bridge.DevAgent.Control;
using Bridge.DevAgent.Seeding;

namespace Bridge.DevAgent.Http;

/// <summary>
/// Every JSON shape the agent reads or writes. Property names are the C# names (Consul's PascalCase)
/// unless renamed; reads match names case-insensitively, as Go's decoder does.
/// </summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(List<HealthServiceEntry>))]
[JsonSerializable(typeof(List<CatalogServiceEntry>))]
[JsonSerializable(typeof(List<CheckRecord>))]
[JsonSerializable(typeof(List<NodeRecord>))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(AgentSelf))]
[JsonSerializable(typeof(AgentServiceRegistration))]
[JsonSerializable(typeof(CatalogRegistration))]
[JsonSerializable(typeof(CatalogDeregistration))]
[JsonSerializable(typeof(CheckUpdate))]
[JsonSerializable(typeof(FaultSettings))]
[JsonSerializable(typeof(FaultStatus))]
[JsonSerializable(typeof(DevAgentStatistics))]
[JsonSerializable(typeof(IndexReset))]
[JsonSerializable(typeof(SeedFile))]
[JsonSerializable(typeof(AclRules))]
[JsonSerializable(typeof(AclToken))]
[JsonSerializable(typeof(List<AclToken>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(List<DatacenterStatus>))]
[JsonSerializable(typeof(EmptyObject))]
internal sealed partial class DevAgentJsonContext : JsonSerializerContext
{
    /// <summary>
    /// For responses. Like Go's encoder it leaves quotes and non-ASCII text unescaped, so default
    /// check names read <c>Service 'web' check</c>.
    /// </summary>
    public static DevAgentJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>For <c>?pretty</c>: Go's <c>MarshalIndent</c> with four spaces.</summary>
    public static DevAgentJsonContext Indented { get; } = new(new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        IndentSize = 4,
    });
}
