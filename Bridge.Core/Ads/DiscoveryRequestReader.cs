using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Envoy.Service.Discovery.V3;

namespace Bridge.Core.Ads;

/// <summary>
/// Parses a state-of-the-world <see cref="DiscoveryRequest"/> as the stock parser does, except that
/// <c>resource_names</c> (field 3) are shared strings: every ACK restates the client's whole subscription (an
/// Envoy's EDS request lists every cluster), and allocating thousands of fresh strings per ACK across a fleet
/// was most of the bridge's garbage. Anything unusual on the wire is left to the stock parser and its errors.
/// </summary>
internal static class DiscoveryRequestReader
{
    private const int ResourceNamesField = 3;
    private const int LengthDelimited = 2;

    /// <summary>Names longer than this (in bytes) are not shared: resource names are short.</summary>
    private const int MaxSharedLength = 256;

    /// <summary>At most this many distinct names are kept, so clients inventing names cannot grow the table.</summary>
    private const int MaxSharedNames = 65_536;

    private static readonly ConcurrentDictionary<string, string> s_names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> s_lookup = s_names.GetAlternateLookup<ReadOnlySpan<char>>();
    private static int s_count;

    public static DiscoveryRequest Parse(ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return Parse(payload.FirstSpan) ?? DiscoveryRequest.Parser.ParseFrom(payload);
        }

        var length = checked((int)payload.Length);
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(copy);
            return Parse(copy.AsSpan(0, length)) ?? DiscoveryRequest.Parser.ParseFrom(payload);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>The request, or null when the bytes are not plain well-formed fields (the stock parser then decides).</summary>
    internal static DiscoveryRequest? Parse(ReadOnlySpan<byte> message)
    {
        // First pass: check the framing and copy every field except the names, which the stock parser then reads.
        var rest = ArrayPool<byte>.Shared.Rent(message.Length);
        try
        {
            var restLength = 0;
            var names = 0;
            for (var position = 0; position < message.Length;)
            {
                if (!TryReadField(message, ref position, out var field, out var start, out var value))
                {
                    return null;
                }

                if (field == ResourceNamesField && value.Length >= 0)
                {
                    names++;
                }
                else
                {
                    message[start..position].CopyTo(rest.AsSpan(restLength));
                    restLength += position - start;
                }
            }

            var request = DiscoveryRequest.Parser.ParseFrom(rest, 0, restLength);
            if (names == 0)
            {
                return request;
            }

            request.ResourceNames.Capacity = names;
            for (var position = 0; position < message.Length;)
            {
                TryReadField(message, ref position, out var field, out _, out var value);
                if (field == ResourceNamesField && value.Length >= 0)
                {
                    request.ResourceNames.Add(Shared(message.Slice(value.Start, value.Length)));
                }
            }

            return request;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rest);
        }
    }

    /// <summary>
    /// Reads one field's tag and value. <paramref name="value"/> is the payload of a length-delimited field 3
    /// (Length -1 otherwise). False for anything the stock parser should judge: groups, bad varints, overruns.
    /// </summary>
    private static bool TryReadField(ReadOnlySpan<byte> message, ref int position, out int field, out int start, out (int Start, int Length) value)
    {
        start = position;
        value = (0, -1);
        field = 0;
        if (!TryReadVarint(message, ref position, out var tag) || tag >> 3 is 0 or > int.MaxValue)
        {
            return false;
        }

        field = (int)(tag >> 3);
        switch ((int)(tag & 7))
        {
            case 0:
                return TryReadVarint(message, ref position, out _);
            case 1:
                position += 8;
                return position <= message.Length;
            case LengthDelimited:
                if (!TryReadVarint(message, ref position, out var length) || length > (ulong)(message.Length - position))
                {
                    return false;
                }

                if (field == ResourceNamesField)
                {
                    value = (position, (int)length);
                }

                position += (int)length;
                return true;
            case 5:
                position += 4;
                return position <= message.Length;
            default:
                return false;
        }
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> message, ref int position, out ulong result)
    {
        result = 0;
        for (var shift = 0; shift < 64 && position < message.Length; shift += 7)
        {
            var b = message[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The string of these UTF-8 bytes, shared with every earlier request that named it.</summary>
    internal static string Shared(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxSharedLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[MaxSharedLength];
        var text = chars[..Encoding.UTF8.GetChars(utf8, chars)];
        if (s_lookup.TryGetValue(text, out var shared))
        {
            return shared;
        }

        var name = new string(text);
        if (Volatile.Read(ref s_count) < MaxSharedNames && s_names.TryAdd(name, name))
        {
            Interlocked.Increment(ref s_count);
        }

        return name;
    }
}
