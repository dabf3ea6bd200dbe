namespace Bridge.Core.Xds;

/// <summary>
/// Encoded bodies of responses carrying several resources, keyed by what identifies their content: the type, the
/// protocol and the response's version, which is a hash of every name and version it carries (and, in delta, of
/// every name it removes). Streams of the same scope are sent the same list, so it is encoded once for all of them.
/// Bounded: past <see cref="MaxBytes"/> the cache starts again empty, and what is still sent is encoded once more.
/// (A response of one resource keeps its body on the resource itself: <see cref="XdsResource.SoleSotwBody"/>.)
/// </summary>
internal sealed class ResponseBodies
{
    /// <summary>Encoded bytes the cache may reference before it starts again; most of them are the resources' own.</summary>
    public const long MaxBytes = 64L << 20;

    private readonly ConcurrentDictionary<(string TypeUrl, string Version, bool Delta), ResponseBody> _bodies = new();
    private long _bytes;

    public ResponseBody Sotw(string typeUrl, string version, IReadOnlyList<XdsResource> resources) =>
        _bodies.TryGetValue((typeUrl, version, false), out var body) ? body : Add((typeUrl, version, false), ResponseBody.Sotw(typeUrl, version, resources));

    public ResponseBody Delta(string typeUrl, string systemVersion, IReadOnlyList<XdsResource> resources, IReadOnlyList<string> removed) =>
        _bodies.TryGetValue((typeUrl, systemVersion, true), out var body) ? body : Add((typeUrl, systemVersion, true), ResponseBody.Delta(typeUrl, systemVersion, resources, removed));

    private ResponseBody Add((string, string, bool) key, ResponseBody body)
    {
        if (Interlocked.Add(ref _bytes, body.Length) > MaxBytes)
        {
            _bodies.Clear();
            Interlocked.Exchange(ref _bytes, body.Length);
        }

        // Two streams may encode the same body at once: both are correct, the first one kept is shared from then on.
        return _bodies.GetOrAdd(key, body);
    }
}
