namespace Bridge.Core.Consul;

/// <summary>
/// Reads a Consul answer that is a JSON array of objects so that one element our model cannot hold costs that
/// element and not the answer. The whole array is read in one pass first; only when that fails is each element read
/// on its own. A body that is not a JSON array is still a bad answer as a whole.
/// </summary>
internal static class JsonArrayEntries
{
    private const int MaxValueLength = 100;

    /// <param name="what">What the array holds, for the message when the body is not an array.</param>
    /// <param name="nullIsEmpty">Whether JSON <c>null</c> is an empty answer (Go encodes an empty slice so) or a bad one.</param>
    /// <param name="unread">Told of each element left out: its raw JSON and why (null when it is not an object).</param>
    public static List<T> Read<T>(
        ReadOnlyMemory<byte> body,
        JsonTypeInfo<T[]> whole,
        JsonTypeInfo<T> one,
        string what,
        bool nullIsEmpty,
        Action<ReadOnlyMemory<byte>, JsonException?> unread)
    {
        try
        {
            if (JsonSerializer.Deserialize(body.Span, whole) is { } all)
            {
                return [.. all];
            }

            if (nullIsEmpty)
            {
                return [];
            }
        }
        catch (JsonException)
        {
            // Read element by element below; a body that is broken as a whole fails there too, with its own message.
        }

        var reader = new Utf8JsonReader(body.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"expected a JSON array of {what}, found {reader.TokenType switch
            {
                JsonTokenType.None => "nothing",
                JsonTokenType.Null => "JSON null",
                JsonTokenType.StartObject => "an object",
                JsonTokenType.String => "a string",
                JsonTokenType.Number => "a number",
                _ => "a boolean",
            }}");
        }

        var read = new List<T>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            var isObject = reader.TokenType == JsonTokenType.StartObject;
            reader.Skip();
            var element = body.Slice(start, (int)reader.BytesConsumed - start);
            if (!isObject)
            {
                unread(element, null);
                continue;
            }

            try
            {
                if (JsonSerializer.Deserialize(element.Span, one) is { } entry)
                {
                    read.Add(entry);
                }
            }
            catch (JsonException e)
            {
                unread(element, e);
            }
        }

        return read;
    }

    /// <summary>Where reading <paramref name="element"/> failed (<c>A.B[2].c</c>, empty for the element itself) and the offending value, shortened.</summary>
    public static (string Field, string Value) FailedAt(JsonElement element, JsonException error)
    {
        var path = (error.Path ?? "$").TrimStart('$').TrimStart('.');
        var value = Find(element, error.Path) is { } found ? Shorten(found.GetRawText()) : error.Message;
        return (path, value);
    }

    /// <summary>A property of an object matched case-insensitively, as Consul's decoder and ours match names.</summary>
    public static bool TryProperty(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    /// <summary>The string value of a property, or empty when it is absent or not a string.</summary>
    public static string Text(JsonElement element, string name) =>
        TryProperty(element, name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    public static string Shorten(ReadOnlySpan<byte> raw) => Shorten(System.Text.Encoding.UTF8.GetString(raw));

    public static string Shorten(string text) => text.Length <= MaxValueLength ? text : text[..MaxValueLength] + "...";

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
}
