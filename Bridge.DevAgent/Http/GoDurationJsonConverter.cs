namespace Bridge.DevAgent.Http;

/// <summary>
/// Reads a duration as Consul's agent does: a Go duration string ("15s") or a number of
/// nanoseconds; writes the Go string form.
/// </summary>
internal sealed class GoDurationJsonConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return GoDuration.FromNanoseconds(reader.GetInt64());
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString();
            if (text == string.Empty)
            {
                return TimeSpan.Zero;
            }

            if (GoDuration.TryParse(text, out var value))
            {
                return value;
            }

            throw new JsonException($"time: invalid duration {ConsulErrors.GoQuote(text ?? string.Empty)}");
        }

        throw new JsonException($"cannot decode a duration from a JSON {reader.TokenType}");
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(GoDuration.Format(value));
}
