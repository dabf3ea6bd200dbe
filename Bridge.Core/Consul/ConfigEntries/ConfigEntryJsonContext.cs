namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>
/// Config entries as Consul's HTTP API returns them: names matched case-insensitively as Consul's own decoder does,
/// fields the bridge does not use ignored, numbers only as JSON numbers, and a null <c>Name</c> refused.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = true,
    NumberHandling = JsonNumberHandling.Strict,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ServiceDefaultsEntry[]))]
[JsonSerializable(typeof(ServiceRouterEntry[]))]
[JsonSerializable(typeof(ServiceSplitterEntry[]))]
[JsonSerializable(typeof(ServiceResolverEntry[]))]
internal sealed partial class ConfigEntryJsonContext : JsonSerializerContext;
