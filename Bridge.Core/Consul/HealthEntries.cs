using System.Text.Json;

namespace Bridge.Core.Consul;

/// <summary>An entry of a Consul answer that could not be read into the model, and so is left out.</summary>
/// <param name="Field">Where in the entry reading failed, e.g. <c>Service.Weights.Passing</c>.</param>
/// <param name="Value">The offending JSON value, shortened.</param>
public sealed record SkippedInstance(string Node, string ServiceId, string Field, string Value);

/// <summary>
/// Reads <c>/v1/health/service/:service</c> entry by entry. The whole array is read in one pass first; only when
/// that fails is each entry read on its own, so that one registration our model cannot hold costs that entry and
/// not the service. A body that is not a JSON array of objects is still a bad answer as a whole.
/// </summary>
internal static class HealthEntries
{
    private const int MaxValueLength = 100;

    public static (HealthServiceEntry[] Entries, IReadOnlyList<SkippedInstance> Skipped) Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return (JsonSerializer.Deserialize(body.Span, ConsulJsonContext.Default.HealthServiceEntryArray)
                ?? throw new JsonException("the response body is JSON null"), []);
        }
        catch (JsonException)
        {
            // Read entry by entry below; a body that is broken as a whole fails there too, with its own message.
        }

        var reader = new Utf8JsonReader(body.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"expected a JSON array of health entries, found {reader.TokenType switch
            {
                JsonTokenType.None => "nothing",
                JsonTokenType.Null => "JSON null",
                JsonTokenType.StartObject => "an object",
                JsonTokenType.String => "a string",
                JsonTokenType.Number => "a number",
                _ => "a boolean",
            }}");
        }

        var entries = new List<HealthServiceEntry>();
        var skipped = new List<SkippedInstance>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            var isObject = reader.TokenType == JsonTokenType.StartObject;
            reader.Skip();
            var element = body.Slice(start, (int)reader.BytesConsumed - start);
            if (!isObject)
            {
                skipped.Add(new SkippedInstance("", "", "(entry)", Shorten(element.Span)));
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(element.Span, ConsulJsonContext.Default.HealthServiceEntry) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            catch (JsonException e)
            {
                skipped.Add(Describe(element, e));
            }
        }

        return ([.. entries], skipped);
    }

    /// <summary>Names the entry (node and service ID, read loosely) and the field that failed, with its value.</summary>
    private static SkippedInstance Describe(ReadOnlyMemory<byte> element, JsonException error)
    {
        using var document = JsonDocument.Parse(element);
        var root = document.RootElement;
        var path = (error.Path ?? "$").TrimStart('$').TrimStart('.');
        var value = Find(root, error.Path) is { } found ? Shorten(found) : error.Message;
        return new SkippedInstance(Text(root, "Node", "Node"), Text(root, "Service", "ID"), path.Length == 0 ? "(entry)" : path, value);
    }

    private static string Text(JsonElement root, string parent, string child) =>
        TryProperty(root, parent, out var p) && TryProperty(p, child, out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";

    private static bool TryProperty(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var property in element.EnumerateObject())
        {
            // Consul's decoder, and ours, match names case-insensitively.
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    /// <summary>Follows a JSON path as System.Text.Json reports it (<c>$.A.B[2]['c d']</c>).</summary>
    private static JsonElement? Find(JsonElement root, string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '$')
        {
            return null;
        }

        var current = root;
        var i = 1;
        while (i < path.Length)
        {
            string name;
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                name = path[(i + 1)..end];
                i = end;
            }
            else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return null;
                }

                name = path[(i + 2)..end];
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0 || !int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index)
                    || current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[index];
                i = end + 1;
                continue;
            }
            else
            {
                return null;
            }

            if (!TryProperty(current, name, out current))
            {
                return null;
            }
        }

        return current;
    }

    private static string Shorten(JsonElement value) => Shorten(value.GetRawText());

    private static string Shorten(ReadOnlySpan<byte> raw) => Shorten(System.Text.Encoding.UTF8.GetString(raw));

    private static string Shorten(string text) => text.Length <= MaxValueLength ? text : text[..MaxValueLength] + "...";
}
