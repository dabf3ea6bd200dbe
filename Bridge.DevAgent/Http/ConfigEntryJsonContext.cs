using System.Text.Encodings.Web;
using Bridge.DevAgent.ConfigEntries;

namespace Bridge.DevAgent.Http;

/// <summary>
/// Config entries as Consul reads and writes them. Consul's config entry structs mark nearly every field
/// <c>omitempty</c>, so a property left null is not written; the few that Consul writes as <c>null</c> say so with
/// <see cref="JsonIgnoreCondition.Never"/>, and zero values Consul omits say <see cref="JsonIgnoreCondition.WhenWritingDefault"/>.
/// </summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConfigEntry))]
[JsonSerializable(typeof(List<ConfigEntry>))]
[JsonSerializable(typeof(ServiceDefaultsEntry))]
[JsonSerializable(typeof(ServiceResolverEntry))]
[JsonSerializable(typeof(ServiceSplitterEntry))]
[JsonSerializable(typeof(ServiceRouterEntry))]
internal sealed partial class ConfigEntryJsonContext : JsonSerializerContext
{
    /// <summary>For responses, escaped as <see cref="DevAgentJsonContext.Wire"/>.</summary>
    public static ConfigEntryJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>For <c>?pretty</c>, indented as <see cref="DevAgentJsonContext.Indented"/>.</summary>
    public static ConfigEntryJsonContext Indented { get; } = new(new JsonSerializerOptions
    {
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
        IndentSize = 4,
    });

    /// <summary>The context that writes <paramref name="type"/> as Consul does.</summary>
    public static JsonSerializerContext For(Type type, bool pretty) =>
        type == typeof(List<ConfigEntry>) || type.IsAssignableTo(typeof(ConfigEntry))
            ? (pretty ? Indented : Wire)
            : (pretty ? DevAgentJsonContext.Indented : DevAgentJsonContext.Wire);
}
