using System.Text.Json.Serialization.Metadata;
using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// Reads the body of <c>PUT /v1/config</c> as Consul's <c>structs.DecodeConfigEntry</c> does: the kind from a top-level
/// <c>Kind</c> or <c>kind</c> key, field names matched regardless of case, durations as Go strings or nanoseconds, and
/// every key the kind does not have refused by name and path (<c>invalid config key "Routes[0].Match.HTTP.Foo"</c>).
/// Every failure is a 400 <c>Request decoding failed: ...</c>. Consul's snake_case aliases (<c>connect_timeout</c>) are
/// not read: they are refused as unknown keys.
/// </summary>
internal static class ConfigEntryDecoder
{
    private const string Failed = "Request decoding failed: ";

    public static ConfigEntry Decode(JsonElement body)
    {
        if (body.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            throw Refused($"'' expected a map, got '{GoKind(body.ValueKind)}'");
        }

        if (body.ValueKind == JsonValueKind.Null || !(body.TryGetProperty("Kind", out var kind) || body.TryGetProperty("kind", out kind)))
        {
            throw Refused("Payload does not contain a kind/Kind key at the top level");
        }

        if (kind.ValueKind != JsonValueKind.String)
        {
            throw Refused("Kind value in payload is not a string");
        }

        var type = TypeOf(kind.GetString()!, Refused);
        var info = ConfigEntryJsonContext.Default.GetTypeInfo(type)!;
        var unused = new List<string>();
        Walk(body, info, string.Empty, unused);
        var problems = unused
            .Where(k => k is not ("CreateIndex" or "ModifyIndex" or "Kind" or "kind"))
            .Order(StringComparer.Ordinal)
            .Select(k => k.EndsWith("namespace", StringComparison.OrdinalIgnoreCase)
                ? $"invalid config key {ConsulErrors.GoQuote(k)}, namespaces are a consul enterprise feature"
                : $"invalid config key {ConsulErrors.GoQuote(k)}")
            .ToList();
        if (problems.Count > 0)
        {
            throw Refused(MultiError.Format(problems));
        }

        try
        {
            var entry = (ConfigEntry)body.Deserialize(info)!;

            // Indexes are the store's to set.
            return entry with { CreateIndex = 0, ModifyIndex = 0 };
        }
        catch (JsonException ex)
        {
            throw Refused(ex.Message);
        }
    }

    /// <summary>The entry type of a kind, as <c>structs.MakeConfigEntry</c> picks it; refuses unknown and unstored kinds.</summary>
    public static Type TypeOf(string kind, Func<string, DevAgentException> refuse) => kind switch
    {
        ConfigEntryKinds.ServiceDefaults => typeof(ServiceDefaultsEntry),
        ConfigEntryKinds.ServiceResolver => typeof(ServiceResolverEntry),
        ConfigEntryKinds.ServiceSplitter => typeof(ServiceSplitterEntry),
        ConfigEntryKinds.ServiceRouter => typeof(ServiceRouterEntry),
        _ when ConfigEntryKinds.IsKnown(kind) => throw refuse($"the dev agent does not store config entries of kind {ConsulErrors.GoQuote(kind)}; it stores {string.Join(", ", ConfigEntryKinds.Supported)}"),
        _ => throw refuse($"invalid config entry kind: {kind}"),
    };

    /// <summary>An empty entry of a kind with a name: what Consul builds to check permissions on a read or delete.</summary>
    public static ConfigEntry Stub(string kind, string name) => kind switch
    {
        ConfigEntryKinds.ServiceDefaults => new ServiceDefaultsEntry { Name = name },
        ConfigEntryKinds.ServiceResolver => new ServiceResolverEntry { Name = name },
        ConfigEntryKinds.ServiceSplitter => new ServiceSplitterEntry { Name = name },
        _ => new ServiceRouterEntry { Name = name },
    };

    // mapstructure's unused keys: a struct field is "Parent.Field", a slice element "Parent[0]", a map value "Parent[key]".
    private static void Walk(JsonElement element, JsonTypeInfo info, string path, List<string> unused)
    {
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var key = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    var field = info.Properties.FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
                    if (field is null)
                    {
                        unused.Add(key);
                    }
                    else if (TypeInfo(info, field.PropertyType) is { } fieldInfo)
                    {
                        Walk(property.Value, fieldInfo, key, unused);
                    }
                }

                break;
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && TypeInfo(info, info.ElementType!) is { } itemInfo:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, itemInfo, $"{path}[{index++}]", unused);
                }

                break;
            case JsonTypeInfoKind.Dictionary when element.ValueKind == JsonValueKind.Object && TypeInfo(info, info.ElementType!) is { } valueInfo:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, valueInfo, $"{path}[{property.Name}]", unused);
                }

                break;
        }
    }

    private static JsonTypeInfo? TypeInfo(JsonTypeInfo parent, Type type)
    {
        try
        {
            return parent.Options.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    // The Go kinds of a JSON value decoded into interface{}.
    private static string GoKind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "slice",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "float64",
        _ => "bool",
    };

    private static DevAgentException Refused(string detail) => new(400, Failed + detail);
}
