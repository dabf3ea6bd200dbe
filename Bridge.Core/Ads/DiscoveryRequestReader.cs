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

    /// <summary>Lists of at least this many names are shared whole.</summary>
    private const int MinSharedList = 16;

    /// <summary>Bytes of shared lists kept before the table is emptied.</summary>
    private const long MaxSharedListBytes = 32L * 1024 * 1024;

    private sealed record NameList(byte[] Bytes, string[] Names);

    private static readonly ConcurrentDictionary<UInt128, NameList> s_lists = new();
    private static long s_listBytes;

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
        // One pass checks the framing and splits the fields: the names' (tags, lengths and bytes) into one buffer,
        // everything else into another, which the stock parser reads.
        var rest = ArrayPool<byte>.Shared.Rent(message.Length);
        var listed = ArrayPool<byte>.Shared.Rent(message.Length);
        try
        {
            var restLength = 0;
            var listedLength = 0;
            var names = 0;
            for (var position = 0; position < message.Length;)
            {
                if (!TryReadField(message, ref position, out var field, out var start, out var value))
                {
                    return null;
                }

                var target = field == ResourceNamesField && value.Length >= 0 ? listed.AsSpan(listedLength) : rest.AsSpan(restLength);
                message[start..position].CopyTo(target);
                if (field == ResourceNamesField && value.Length >= 0)
                {
                    listedLength += position - start;
                    names++;
                }
                else
                {
                    restLength += position - start;
                }
            }

            var request = DiscoveryRequest.Parser.ParseFrom(rest, 0, restLength);
            if (names > 0)
            {
                request.ResourceNames.AddRange(Names(listed.AsSpan(0, listedLength), names));
            }

            return request;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rest);
            ArrayPool<byte>.Shared.Return(listed);
        }
    }

    /// <summary>
    /// The names of a list (field-3 entries as on the wire). A long list is most often one already seen, on this
    /// stream's last ACK or on another proxy's: it is looked up whole, by hash and then byte for byte.
    /// </summary>
    private static string[] Names(ReadOnlySpan<byte> listed, int count)
    {
        var key = count >= MinSharedList ? XxHash128.HashToUInt128(listed) : default;
        if (count >= MinSharedList && s_lists.TryGetValue(key, out var known) && listed.SequenceEqual(known.Bytes))
        {
            return known.Names;
        }

        var names = new string[count];
        var n = 0;
        for (var position = 0; position < listed.Length;)
        {
            TryReadField(listed, ref position, out _, out _, out var value);
            names[n++] = Shared(listed.Slice(value.Start, value.Length));
        }

        if (count >= MinSharedList)
        {
            if (Interlocked.Add(ref s_listBytes, listed.Length) > MaxSharedListBytes)
            {
                // Lists of proxies long gone are never looked up again: past the budget, start afresh.
                s_lists.Clear();
                Interlocked.Exchange(ref s_listBytes, listed.Length);
            }

            s_lists[key] = new NameList(listed.ToArray(), names);
        }

        return names;
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

    /// <summary>
    /// The shared instance of a name read by another parser (a delta request's subscriptions, kept for the life of
    /// the stream): a fleet subscribing to the same names keeps each once.
    /// </summary>
    internal static string Shared(string name)
    {
        if (s_names.TryGetValue(name, out var shared))
        {
            return shared;
        }

        if (name.Length <= MaxSharedLength && Volatile.Read(ref s_count) < MaxSharedNames && s_names.TryAdd(name, name))
        {
            Interlocked.Increment(ref s_count);
        }

        return name;
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
