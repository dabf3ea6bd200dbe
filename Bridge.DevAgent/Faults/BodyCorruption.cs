using System.Text.Json.Nodes;

namespace Bridge.DevAgent.Faults;

/// <summary>Damaged versions of a JSON body, for <see cref="BodyFault"/>.</summary>
internal static class BodyCorruption
{
    public static readonly byte[] Garbage = Encoding.UTF8.GetBytes(
        "<html><head><title>502 Bad Gateway</title></head>\u0000{\"ID\":]garbage[");

    public static ReadOnlyMemory<byte> Truncated(byte[] body) => body.AsMemory(0, Math.Max(1, body.Length / 2));

    /// <summary>
    /// Keeps the JSON valid but breaks its types: numbers named <c>*Port</c> or <c>*Index</c> become
    /// strings, tag lists become one comma-joined string.
    /// </summary>
    public static byte[] WrongTypes(byte[] body)
    {
        var root = JsonNode.Parse(body);
        if (root is JsonObject rootObject && rootObject.All(p => p.Value is JsonArray))
        {
            // /catalog/services: every service's tag list.
            foreach (var name in rootObject.Select(p => p.Key).ToList())
            {
                rootObject[name] = Joined((JsonArray)rootObject[name]!);
            }
        }
        else if (root is not null)
        {
            Retype(root);
        }

        return Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null");
    }

    private static void Retype(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var value = obj[key];
                    if (value is JsonValue number && (key.EndsWith("Port", StringComparison.Ordinal) || key.EndsWith("Index", StringComparison.Ordinal))
                        && number.TryGetValue<long>(out var n))
                    {
                        obj[key] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }
                    else if (value is JsonArray tags && key is "Tags" or "ServiceTags")
                    {
                        obj[key] = Joined(tags);
                    }
                    else if (value is not null)
                    {
                        Retype(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Retype(item);
                    }
                }

                break;
        }
    }

    private static JsonNode Joined(JsonArray array) =>
        string.Join(',', array.Select(item => item?.GetValue<string>() ?? string.Empty));
}
