using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Bridge.Core.Xds;

/// <summary>
/// One xDS resource, serialised once: <see cref="Packed"/> holds its bytes inside an <see cref="Any"/> that every
/// stream reuses, and <see cref="Version"/> is a hash of those bytes, so equal content always has equal versions.
/// </summary>
public sealed class XdsResource
{
    private static long s_serialisations;

    private XdsResource(string typeUrl, string name, IMessage message, Any packed, string version)
    {
        TypeUrl = typeUrl;
        Name = name;
        Message = message;
        Packed = packed;
        Version = version;
    }

    public string TypeUrl { get; }
    public string Name { get; }
    public IMessage Message { get; }
    public Any Packed { get; }
    public string Version { get; }

    /// <summary>The version of a state-of-the-world response carrying this resource alone, once a stream computed it.</summary>
    internal string? SoleResponseVersion { get; set; }

    private ResponseBody? _soleSotwBody;
    private ResponseBody? _soleDeltaBody;

    /// <summary>The encoded state-of-the-world response carrying this resource alone, once a stream needed it.</summary>
    internal ResponseBody? SoleSotwBody => Volatile.Read(ref _soleSotwBody);

    /// <summary>The encoded delta response carrying this resource alone (nothing removed), once a stream needed it.</summary>
    internal ResponseBody? SoleDeltaBody => Volatile.Read(ref _soleDeltaBody);

    /// <summary>
    /// Keeps <paramref name="body"/> as <see cref="SoleSotwBody"/> unless another stream kept one first, and returns the
    /// one kept: streams encoding it at the same moment all send the same bytes.
    /// </summary>
    internal ResponseBody KeepSoleSotwBody(ResponseBody body) => Interlocked.CompareExchange(ref _soleSotwBody, body, null) ?? body;

    /// <summary>As <see cref="KeepSoleSotwBody"/>, for <see cref="SoleDeltaBody"/>.</summary>
    internal ResponseBody KeepSoleDeltaBody(ResponseBody body) => Interlocked.CompareExchange(ref _soleDeltaBody, body, null) ?? body;

    /// <summary>How many resources were serialised in this process: pushes must never add to it.</summary>
    public static long Serialisations => Interlocked.Read(ref s_serialisations);

    public static XdsResource Create(string name, IMessage message)
    {
        var packed = Any.Pack(message);
        Interlocked.Increment(ref s_serialisations);
        return new XdsResource(packed.TypeUrl, name, message, packed, HashVersion(packed.Value.Span));
    }

    internal static string HashVersion(ReadOnlySpan<byte> bytes) => XxHash128.HashToUInt128(bytes).ToString("x32")[..20];

    /// <summary>
    /// The version of a response: a hash of what it carries (each resource's name and version, then each removed name),
    /// not of the snapshot's generation, so that replicas reaching the same catalog through different numbers of
    /// snapshots describe the same response the same way.
    /// </summary>
    internal static string ContentVersion(IReadOnlyList<XdsResource> resources, IReadOnlyList<string>? removed = null)
    {
        var hash = new XxHash128();
        foreach (var resource in resources)
        {
            hash.Append(Encoding.UTF8.GetBytes(resource.Name));
            hash.Append([0]);
            hash.Append(Encoding.UTF8.GetBytes(resource.Version));
            hash.Append([0]);
        }

        foreach (var name in removed ?? [])
        {
            hash.Append([1]);
            hash.Append(Encoding.UTF8.GetBytes(name));
            hash.Append([0]);
        }

        return HashVersion(hash.GetCurrentHash());
    }
}
