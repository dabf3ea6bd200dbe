using Bridge.Core.Xds;

namespace Bridge.Core.Ads;

/// <summary>
/// A discovery response (state of the world or delta) as a stream writes it: the body every stream sent the same
/// content shares, encoded once, and this stream's nonce.
/// </summary>
public sealed class EncodedResponse
{
    internal EncodedResponse(ResponseBody body, string nonce)
    {
        Body = body;
        Nonce = nonce;
    }

    public string Nonce { get; }

    public string TypeUrl => Body.TypeUrl;

    internal ResponseBody Body { get; }

    /// <summary>The encoded response, for gRPC's serializer: the body, then the nonce.</summary>
    internal void WriteTo(IBufferWriter<byte> output) => Body.WriteTo(output, Nonce);

    internal int Length => Body.LengthWith(Nonce);

    /// <summary>The response's bytes as one array (tests decode them with the generated parsers).</summary>
    internal byte[] ToArray()
    {
        var output = new ArrayBufferWriter<byte>(Length);
        WriteTo(output);
        return output.WrittenSpan.ToArray();
    }
}
