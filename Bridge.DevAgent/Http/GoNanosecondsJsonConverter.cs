namespace Bridge.DevAgent.Http;

/// <summary>
/// A Go <c>time.Duration</c> field without a custom marshaller: written as integer nanoseconds, as Go's encoder writes
/// an <c>int64</c>; read from nanoseconds or from a Go duration string, as Consul's decoder hooks accept both.
/// </summary>
internal sealed class GoNanosecondsJsonConverter : JsonConverter<TimeSpan>
{
    private static readonly GoDurationJsonConverter Reader = new();

    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Reader.Read(ref reader, typeToConvert, options);

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.Ticks * 100);
}
