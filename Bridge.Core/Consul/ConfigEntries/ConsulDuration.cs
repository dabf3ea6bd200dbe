namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>
/// Durations as Consul writes them in config entries: some fields as Go duration text (<c>"15s"</c>, <c>"1m30s"</c>,
/// <c>"250ms"</c>), others as a Go <c>time.Duration</c>, which JSON carries as integer nanoseconds. Both forms are read
/// wherever a duration is expected, since which field uses which has changed between Consul versions.
/// </summary>
internal static class ConsulDuration
{
    private const long NanosecondsPerTick = 100;

    /// <summary>Go's <c>time.ParseDuration</c>: a sign, then one or more decimal numbers each with a unit (ns, us, µs, ms, s, m, h); "0" alone needs none.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var rest = text;
        var negative = false;
        if (!rest.IsEmpty && rest[0] is '-' or '+')
        {
            negative = rest[0] == '-';
            rest = rest[1..];
        }

        if (rest.SequenceEqual("0"))
        {
            return true;
        }

        if (rest.IsEmpty)
        {
            return false;
        }

        decimal nanoseconds = 0;
        while (!rest.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < rest.Length && (char.IsAsciiDigit(rest[numberLength]) || rest[numberLength] == '.'))
            {
                numberLength++;
            }

            var number = rest[..numberLength];
            if (number.IndexOfAnyInRange('0', '9') < 0 || number.Count('.') > 1 || numberLength > 25
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            rest = rest[numberLength..];
            var unitLength = 0;
            while (unitLength < rest.Length && rest[unitLength] != '.' && !char.IsAsciiDigit(rest[unitLength]))
            {
                unitLength++;
            }

            if (UnitNanoseconds(rest[..unitLength]) is not { } unit || amount > long.MaxValue / unit)
            {
                return false;
            }

            // Go keeps whole nanoseconds only.
            nanoseconds += decimal.Truncate(amount * unit);
            if (nanoseconds > long.MaxValue)
            {
                return false;
            }

            rest = rest[unitLength..];
        }

        var ticks = (long)(nanoseconds / NanosecondsPerTick);
        value = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    public static TimeSpan FromNanoseconds(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / NanosecondsPerTick);

    private static decimal? UnitNanoseconds(ReadOnlySpan<char> unit) => unit switch
    {
        "ns" => 1m,
        "us" or "\u00b5s" or "\u03bcs" => 1_000m,
        "ms" => 1_000_000m,
        "s" => 1_000_000_000m,
        "m" => 60_000_000_000m,
        "h" => 3_600_000_000_000m,
        _ => null,
    };
}

/// <summary>Reads a duration in either of Consul's forms (<see cref="ConsulDuration"/>); null and "" are zero, which Consul reads as unset.</summary>
internal sealed class ConsulDurationJsonConverter : JsonConverter<TimeSpan>
{
    public override bool HandleNull => true;

    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return TimeSpan.Zero;
            case JsonTokenType.Number when reader.TryGetInt64(out var nanoseconds):
                return ConsulDuration.FromNanoseconds(nanoseconds);
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (text.Length == 0)
                {
                    return TimeSpan.Zero;
                }

                if (ConsulDuration.TryParse(text, out var value))
                {
                    return value;
                }

                break;
        }

        throw new JsonException("not a duration: expected Go duration text such as \"15s\" or \"1m30s\", or integer nanoseconds");
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue((value.Ticks * 100).ToString(CultureInfo.InvariantCulture) + "ns");
}
