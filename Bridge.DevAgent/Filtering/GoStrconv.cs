using System.Numerics;

namespace Bridge.DevAgent.Filtering;

/// <summary>
/// The parts of Go's <c>strconv</c> that bexpr uses on filter values, with Go's error texts: <c>Unquote</c> for string
/// literals, <c>ParseInt(s, 0, 64)</c> and <c>ParseBool</c> to coerce values of integer and boolean fields.
/// </summary>
internal static class GoStrconv
{
    /// <summary><c>strconv.Unquote</c> of a <c>"..."</c> or <c>`...`</c> literal; false on Go's <c>invalid syntax</c>.</summary>
    public static bool TryUnquote(string quoted, out string value)
    {
        value = string.Empty;
        if (quoted.Length < 2 || quoted[0] != quoted[^1])
        {
            return false;
        }

        var body = quoted[1..^1];
        if (quoted[0] == '`')
        {
            // Raw strings keep everything but carriage returns.
            value = body.Replace("\r", string.Empty, StringComparison.Ordinal);
            return !body.Contains('`', StringComparison.Ordinal);
        }

        if (quoted[0] != '"' || body.Contains('\n', StringComparison.Ordinal))
        {
            return false;
        }

        var builder = new StringBuilder(body.Length);
        var bytes = new List<byte>();
        for (var i = 0; i < body.Length;)
        {
            var c = body[i];
            if (c == '"')
            {
                return false;
            }

            if (c != '\\')
            {
                FlushBytes(builder, bytes);
                builder.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= body.Length)
            {
                return false;
            }

            var escape = body[i + 1];
            i += 2;
            if (Simple(escape) is { } simple)
            {
                FlushBytes(builder, bytes);
                builder.Append(simple);
            }
            else if (escape is 'x' or 'u' or 'U')
            {
                var digits = escape switch { 'x' => 2, 'u' => 4, _ => 8 };
                if (i + digits > body.Length
                    || !uint.TryParse(body.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                    || (escape != 'x' && !Rune.IsValid(code)))
                {
                    return false;
                }

                i += digits;
                if (escape == 'x')
                {
                    // \x escapes are bytes, joined into UTF-8 with their neighbours.
                    bytes.Add((byte)code);
                }
                else
                {
                    FlushBytes(builder, bytes);
                    builder.Append(new Rune(code).ToString());
                }
            }
            else if (escape is >= '0' and <= '7' && i + 2 <= body.Length
                && body[i] is >= '0' and <= '7' && body[i + 1] is >= '0' and <= '7'
                && ((escape - '0') * 64) + ((body[i] - '0') * 8) + (body[i + 1] - '0') <= 255)
            {
                bytes.Add((byte)(((escape - '0') * 64) + ((body[i] - '0') * 8) + (body[i + 1] - '0')));
                i += 2;
            }
            else
            {
                return false;
            }
        }

        FlushBytes(builder, bytes);
        value = builder.ToString();
        return true;
    }

    /// <summary><c>strconv.ParseInt(value, 0, 64)</c>: a sign, then a <c>0x</c>, <c>0o</c>, <c>0b</c> or <c>0</c> prefix picks the base.</summary>
    public static long ParseInt(string value)
    {
        var s = value.AsSpan();
        var negative = false;
        if (!s.IsEmpty && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        var numberBase = 10;
        var prefixed = false;
        if (s.Length >= 2 && s[0] == '0')
        {
            (numberBase, prefixed) = char.ToLowerInvariant(s[1]) switch
            {
                'x' => (16, true),
                'o' => (8, true),
                'b' => (2, true),
                _ => (8, false),
            };
            s = prefixed ? s[2..] : s[1..];
        }

        if (s.IsEmpty && !(numberBase == 8 && !prefixed))
        {
            throw Syntax("ParseInt", value);
        }

        // Go's underscoreOK: an underscore only between digits, or right after a base prefix (a leading 0 included).
        var leadingZero = numberBase == 8 && !prefixed;
        BigInteger magnitude = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '_')
            {
                var afterDigitOrPrefix = i > 0 ? s[i - 1] != '_' : prefixed || leadingZero;
                if (!afterDigitOrPrefix || i == s.Length - 1)
                {
                    throw Syntax("ParseInt", value);
                }

                continue;
            }

            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= numberBase)
            {
                throw Syntax("ParseInt", value);
            }

            magnitude = (magnitude * numberBase) + digit;
        }

        var signed = negative ? -magnitude : magnitude;
        if (signed > long.MaxValue || signed < long.MinValue)
        {
            throw new FormatException($"strconv.ParseInt: parsing {Quote(value)}: value out of range");
        }

        return (long)signed;
    }

    /// <summary><c>strconv.ParseBool</c>.</summary>
    public static bool ParseBool(string value) => value switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw Syntax("ParseBool", value),
    };

    /// <summary>Go's <c>%q</c> for the plain strings these messages carry.</summary>
    public static string Quote(string value) => ConsulErrors.GoQuote(value);

    private static FormatException Syntax(string function, string value) =>
        new($"strconv.{function}: parsing {Quote(value)}: invalid syntax");

    // The one-character escapes of a double-quoted Go string.
    private static char? Simple(char escape) => escape switch
    {
        'a' => '\a',
        'b' => '\b',
        'f' => '\f',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\v',
        '\\' => '\\',
        '"' => '"',
        _ => null,
    };

    private static void FlushBytes(StringBuilder builder, List<byte> bytes)
    {
        if (bytes.Count > 0)
        {
            builder.Append(Encoding.UTF8.GetString([.. bytes]));
            bytes.Clear();
        }
    }
}
