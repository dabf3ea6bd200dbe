using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// A configuration entry as Consul stores and returns it (<c>structs.ConfigEntry</c>): the fields of its kind in
/// Consul's CamelCase, then <c>Meta</c>, <c>CreateIndex</c> and <c>ModifyIndex</c>. Names are unique per kind regardless of
/// case, as Consul's state store indexes them in lower case. The dev agent stores the four kinds the bridge's traffic
/// management reads: <see cref="ServiceDefaultsEntry"/>, <see cref="ServiceResolverEntry"/>,
/// <see cref="ServiceSplitterEntry"/> and <see cref="ServiceRouterEntry"/>.
/// </summary>
[JsonDerivedType(typeof(ServiceDefaultsEntry))]
[JsonDerivedType(typeof(ServiceResolverEntry))]
[JsonDerivedType(typeof(ServiceSplitterEntry))]
[JsonDerivedType(typeof(ServiceRouterEntry))]
public abstract record ConfigEntry
{
    /// <summary>The kind, e.g. <c>service-resolver</c>.</summary>
    [JsonPropertyOrder(-100)]
    public abstract string Kind { get; }

    /// <summary>The entry's name: the service it configures.</summary>
    [JsonPropertyOrder(-99)]
    public string Name { get; init; } = string.Empty;

    /// <summary>Free-form metadata; omitted when empty.</summary>
    [JsonPropertyOrder(1000)]
    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    /// <summary>Index of the write that created the entry.</summary>
    [JsonPropertyOrder(1001)]
    public ulong CreateIndex { get; init; }

    /// <summary>Index of the write that last changed it.</summary>
    [JsonPropertyOrder(1002)]
    public ulong ModifyIndex { get; init; }

    /// <summary>Reads an entry from the JSON body <c>PUT /v1/config</c> takes, as Consul decodes it (its kind from <c>Kind</c>).</summary>
    /// <param name="json">The entry.</param>
    /// <exception cref="DevAgentException">400 <c>Request decoding failed: ...</c>, as Consul answers such a body.</exception>
    public static ConfigEntry FromJson(string json)
    {
        JsonElement body;
        try
        {
            body = JsonSerializer.Deserialize(json, DevAgentJsonContext.Default.JsonElement);
        }
        catch (JsonException ex)
        {
            throw new DevAgentException(400, "Request decoding failed: " + ex.Message);
        }

        return ConfigEntryDecoder.Decode(body);
    }
}

/// <summary>The kinds of configuration entry Consul knows (<c>structs.MakeConfigEntry</c>), and which of them the dev agent stores.</summary>
public static class ConfigEntryKinds
{
    /// <summary><see cref="ServiceDefaultsEntry"/>.</summary>
    public const string ServiceDefaults = "service-defaults";

    /// <summary><see cref="ServiceResolverEntry"/>.</summary>
    public const string ServiceResolver = "service-resolver";

    /// <summary><see cref="ServiceSplitterEntry"/>.</summary>
    public const string ServiceSplitter = "service-splitter";

    /// <summary><see cref="ServiceRouterEntry"/>.</summary>
    public const string ServiceRouter = "service-router";

    /// <summary>The kinds the dev agent stores, in the order <c>GET /v1/config/</c> lists them (Consul's index order).</summary>
    public static IReadOnlyList<string> Supported { get; } = [ServiceDefaults, ServiceResolver, ServiceRouter, ServiceSplitter];

    /// <summary>Kinds Consul accepts that the dev agent does not store: reads find none, writes are refused with a clear error.</summary>
    public static IReadOnlyList<string> Unsupported { get; } =
    [
        "proxy-defaults", "ingress-gateway", "terminating-gateway", "service-intentions", "mesh", "exported-services",
        "sameness-group", "api-gateway", "bound-api-gateway", "file-system-certificate", "inline-certificate", "http-route",
        "tcp-route", "control-plane-request-limit", "jwt-provider",
    ];

    /// <summary>Whether Consul knows the kind (it is case-sensitive: <c>Service-Defaults</c> is not a kind).</summary>
    public static bool IsKnown(string kind) => Supported.Contains(kind, StringComparer.Ordinal) || Unsupported.Contains(kind, StringComparer.Ordinal);

    /// <summary>Whether the dev agent stores entries of the kind.</summary>
    public static bool IsSupported(string kind) => Supported.Contains(kind, StringComparer.Ordinal);
}
