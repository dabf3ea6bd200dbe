using Google.Protobuf;

namespace Bridge.Core.Xds;

/// <summary>
/// A discovery response encoded once for every stream that is sent the same content: every field but the nonce,
/// which is each stream's own and is written after the body (protobuf readers accept fields in any order). The
/// resources' bytes are not copied: the body is a list of segments, the small field headers encoded here and the
/// packed resources' own memory between them.
/// </summary>
internal sealed class ResponseBody
{
    // Field numbers of envoy.service.discovery.v3: DiscoveryResponse, DeltaDiscoveryResponse and Resource.
    private const int SotwVersionInfo = 1, SotwResources = 2, SotwTypeUrl = 4, SotwControlPlane = 6;
    private const int DeltaSystemVersionInfo = 1, DeltaResources = 2, DeltaTypeUrl = 4, DeltaRemovedResources = 6, DeltaControlPlane = 7;
    private const int ResourceVersion = 1, ResourceAny = 2, ResourceName = 3;
    private const int AnyTypeUrl = 1, AnyValue = 2;

    /// <summary>The nonce is field 5 of both DiscoveryResponse and DeltaDiscoveryResponse.</summary>
    private const int NonceField = 5;

    private readonly ReadOnlyMemory<byte>[] _segments;
    private readonly XdsResource[] _resources;
    private Dictionary<string, string>? _held;

    private ResponseBody(string typeUrl, string version, IReadOnlyList<XdsResource> resources, ReadOnlyMemory<byte>[] segments)
    {
        TypeUrl = typeUrl;
        Version = version;
        _resources = [.. resources];
        _segments = segments;
        foreach (var segment in segments)
        {
            Length += segment.Length;
        }
    }

    public string TypeUrl { get; }

    /// <summary>The response's <c>version_info</c> (state of the world) or <c>system_version_info</c> (delta).</summary>
    public string Version { get; }

    public int ResourceCount => _resources.Length;

    /// <summary>
    /// Name to version of the resources carried: what a stream's client holds once it was sent this response (and
    /// nothing else, for a full-state type). Built once and shared by every stream that was; never modified.
    /// </summary>
    public IReadOnlyDictionary<string, string> Held
    {
        get
        {
            if (_held is { } held)
            {
                return held;
            }

            var built = new Dictionary<string, string>(_resources.Length, StringComparer.Ordinal);
            foreach (var resource in _resources)
            {
                built[resource.Name] = resource.Version;
            }

            return Interlocked.CompareExchange(ref _held, built, null) ?? built;
        }
    }

    /// <summary>Encoded bytes, nonce excluded.</summary>
    public int Length { get; }

    /// <summary>The encoded <c>control_plane</c> message every response carries.</summary>
    private static readonly byte[] ControlPlane = ControlPlaneIdentity.Value.ToByteArray();

    /// <summary>A state-of-the-world response carrying these resources, in this order.</summary>
    public static ResponseBody Sotw(string typeUrl, string version, IReadOnlyList<XdsResource> resources)
    {
        var writer = new SegmentWriter();
        writer.String(SotwVersionInfo, version);
        foreach (var resource in resources)
        {
            writer.Header(SotwResources, AnyLength(resource.Packed));
            writer.Any(resource.Packed);
        }

        writer.String(SotwTypeUrl, typeUrl);
        writer.Bytes(SotwControlPlane, ControlPlane);
        return new ResponseBody(typeUrl, version, resources, writer.Finish());
    }

    /// <summary>A delta response carrying these resources and naming these as removed.</summary>
    public static ResponseBody Delta(string typeUrl, string systemVersion, IReadOnlyList<XdsResource> resources, IReadOnlyList<string> removed)
    {
        var writer = new SegmentWriter();
        writer.String(DeltaSystemVersionInfo, systemVersion);
        foreach (var resource in resources)
        {
            var anyLength = AnyLength(resource.Packed);
            writer.Header(DeltaResources, StringLength(ResourceVersion, resource.Version) + FieldLength(ResourceAny, anyLength) + StringLength(ResourceName, resource.Name));
            writer.String(ResourceVersion, resource.Version);
            writer.Header(ResourceAny, anyLength);
            writer.Any(resource.Packed);
            writer.String(ResourceName, resource.Name);
        }

        writer.String(DeltaTypeUrl, typeUrl);
        foreach (var name in removed)
        {
            // Repeated strings are written even when empty.
            writer.Header(DeltaRemovedResources, Encoding.UTF8.GetByteCount(name));
            writer.Raw(name);
        }

        writer.Bytes(DeltaControlPlane, ControlPlane);
        return new ResponseBody(typeUrl, systemVersion, resources, writer.Finish());
    }

    /// <summary>The bytes of the whole response with this nonce.</summary>
    public int LengthWith(string nonce) => Length + StringLength(NonceField, nonce);

    /// <summary>Writes the body, then the nonce.</summary>
    public void WriteTo(IBufferWriter<byte> output, string nonce)
    {
        foreach (var segment in _segments)
        {
            output.Write(segment.Span);
        }

        Span<byte> field = stackalloc byte[16];
        var nonceLength = Encoding.UTF8.GetByteCount(nonce);
        var header = WriteHeader(field, NonceField, nonceLength);
        output.Write(field[..header]);
        var span = output.GetSpan(nonceLength);
        output.Advance(Encoding.UTF8.GetBytes(nonce, span));
    }

    private static int AnyLength(Google.Protobuf.WellKnownTypes.Any any) =>
        StringLength(AnyTypeUrl, any.TypeUrl) + (any.Value.Length == 0 ? 0 : FieldLength(AnyValue, any.Value.Length));

    /// <summary>Length of a proto3 string field: nothing when empty.</summary>
    private static int StringLength(int field, string value) =>
        value.Length == 0 ? 0 : FieldLength(field, Encoding.UTF8.GetByteCount(value));

    private static int FieldLength(int field, int length) => VarintLength((uint)(field << 3)) + VarintLength((uint)length) + length;

    private static int VarintLength(uint value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>Writes a length-delimited field's tag and length; returns the bytes written.</summary>
    private static int WriteHeader(Span<byte> destination, int field, int length)
    {
        var written = WriteVarint(destination, (uint)((field << 3) | (int)WireFormat.WireType.LengthDelimited));
        return written + WriteVarint(destination[written..], (uint)length);
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Field headers and short strings go to one buffer; the resources' bytes are referenced where they lie.</summary>
    private sealed class SegmentWriter
    {
        private readonly ArrayBufferWriter<byte> _own = new(256);
        private readonly List<(int Start, int Length, ReadOnlyMemory<byte> Shared)> _parts = [];
        private int _start;

        public void Header(int field, int length)
        {
            var span = _own.GetSpan(16);
            _own.Advance(WriteHeader(span, field, length));
        }

        public void Raw(string value)
        {
            var span = _own.GetSpan(Encoding.UTF8.GetByteCount(value));
            _own.Advance(Encoding.UTF8.GetBytes(value, span));
        }

        public void String(int field, string value)
        {
            if (value.Length > 0)
            {
                Header(field, Encoding.UTF8.GetByteCount(value));
                Raw(value);
            }
        }

        public void Bytes(int field, byte[] value)
        {
            Header(field, value.Length);
            _own.Write(value);
        }

        public void Any(Google.Protobuf.WellKnownTypes.Any any)
        {
            String(AnyTypeUrl, any.TypeUrl);
            if (any.Value.Length > 0)
            {
                Header(AnyValue, any.Value.Length);
                _parts.Add((_start, _own.WrittenCount - _start, default));
                _parts.Add((0, 0, any.Value.Memory));
                _start = _own.WrittenCount;
            }
        }

        public ReadOnlyMemory<byte>[] Finish()
        {
            _parts.Add((_start, _own.WrittenCount - _start, default));
            var own = _own.WrittenMemory.ToArray();
            var segments = new List<ReadOnlyMemory<byte>>(_parts.Count);
            foreach (var (start, length, shared) in _parts)
            {
                var segment = shared.IsEmpty ? own.AsMemory(start, length) : shared;
                if (!segment.IsEmpty)
                {
                    segments.Add(segment);
                }
            }

            return [.. segments];
        }
    }
}
