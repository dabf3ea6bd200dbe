namespace Bridge.DevAgent.Http;

/// <summary>
/// Go's <c>time.ParseDuration</c> and <c>Duration.String</c>: Consul parses <c>?wait</c>, TTLs and
/// intervals with them, so "10s", "1m30s", "1.5h" and "100ms" are valid while "10" is not.
/// </summary>
internal static class GoDuration
{
    private const ulong Nanosecond = 1;
    private const ulong Microsecond = 1000 * Nanosecond;
    private const ulong Millisecond = 1000 * Microsecond;
    private const ulong Second = 1000 * Millisecond;
    private const ulong Minute = 60 * Second;
    private const ulong Hour = 60 * Minute;
    private const ulong MaxMagnitude = 1UL << 63;

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (!TryParseNanoseconds(text, out var nanoseconds))
        {
            return false;
        }

        value = FromNanoseconds(nanoseconds);
        return true;
    }

    public static TimeSpan FromNanoseconds(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / 100);

    public static bool TryParseNanoseconds(string? text, out long nanoseconds)
    {
        nanoseconds = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var s = text.AsSpan();
        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s.SequenceEqual("0"))
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        ulong total = 0;
        while (!s.IsEmpty)
        {
            if (!(s[0] == '.' || char.IsAsciiDigit(s[0])))
            {
                return false;
            }

            var digits = LeadingDigits(s);
            if (!TryAccumulate(s[..digits], out var whole))
            {
                return false;
            }

            s = s[digits..];
            var hasFraction = false;
            ulong fraction = 0;
            double scale = 1;
            if (!s.IsEmpty && s[0] == '.')
            {
                s = s[1..];
                var fractionDigits = LeadingDigits(s);
                hasFraction = fractionDigits > 0;
                foreach (var c in s[..fractionDigits])
                {
                    // Go keeps the first digits that fit and drops the rest: precision, not an error.
                    if (fraction > (long.MaxValue - 9) / 10)
                    {
                        break;
                    }

                    fraction = (fraction * 10) + (ulong)(c - '0');
                    scale *= 10;
                }

                s = s[fractionDigits..];
            }

            if (digits == 0 && !hasFraction)
            {
                return false;
            }

            var unitLength = 0;
            while (unitLength < s.Length && s[unitLength] != '.' && !char.IsAsciiDigit(s[unitLength]))
            {
                unitLength++;
            }

            if (unitLength == 0 || !TryUnit(s[..unitLength], out var unit))
            {
                return false;
            }

            s = s[unitLength..];
            if (whole > MaxMagnitude / unit)
            {
                return false;
            }

            var v = whole * unit;
            if (fraction > 0)
            {
                v += (ulong)(fraction * (unit / scale));
                if (v > MaxMagnitude)
                {
                    return false;
                }
            }

            total += v;
            if (total > MaxMagnitude)
            {
                return false;
            }
        }

        if (negative)
        {
            nanoseconds = total == MaxMagnitude ? long.MinValue : -(long)total;
            return true;
        }

        if (total > long.MaxValue)
        {
            return false;
        }

        nanoseconds = (long)total;
        return true;
    }

    /// <summary>Formats like Go's <c>Duration.String</c>: "0s", "250ms", "1m30s", "1h0m0s".</summary>
    public static string Format(TimeSpan value)
    {
        var ns = value.Ticks * 100;
        if (ns == 0)
        {
            return "0s";
        }

        var negative = ns < 0;
        var u = negative ? (ulong)(-(ns + 1)) + 1 : (ulong)ns;
        var builder = new StringBuilder();
        if (u < Second)
        {
            var (divisor, unit) = u switch
            {
                < Microsecond => (Nanosecond, "ns"),
                < Millisecond => (Microsecond, "µs"),
                _ => (Millisecond, "ms"),
            };
            AppendDecimal(builder, u, divisor);
            builder.Append(unit);
        }
        else
        {
            var hours = u / Hour;
            var minutes = u % Hour / Minute;
            var seconds = u % Minute;
            if (hours > 0)
            {
                builder.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
            }

            if (hours > 0 || minutes > 0)
            {
                builder.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
            }

            AppendDecimal(builder, seconds, Second);
            builder.Append('s');
        }

        return negative ? "-" + builder : builder.ToString();
    }

    private static void AppendDecimal(StringBuilder builder, ulong value, ulong divisor)
    {
        builder.Append((value / divisor).ToString(CultureInfo.InvariantCulture));
        var remainder = value % divisor;
        if (remainder == 0)
        {
            return;
        }

        var width = divisor.ToString(CultureInfo.InvariantCulture).Length - 1;
        builder.Append('.').Append(remainder.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0').TrimEnd('0'));
    }

    private static int LeadingDigits(ReadOnlySpan<char> s)
    {
        var i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        return i;
    }

    private static bool TryAccumulate(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (value > (MaxMagnitude - 9) / 10)
            {
                return false;
            }

            value = (value * 10) + (ulong)(c - '0');
        }

        return value <= MaxMagnitude;
    }

    private static bool TryUnit(ReadOnlySpan<char> unit, out ulong nanoseconds)
    {
        nanoseconds = unit switch
        {
            "ns" => Nanosecond,
            "us" or "µs" or "μs" => Microsecond,
            "ms" => Millisecond,
            "s" => Second,
            "m" => Minute,
            "h" => Hour,
            _ => 0,
        };
        return nanoseconds != 0;
    }
}
