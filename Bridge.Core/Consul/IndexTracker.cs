namespace Bridge.Core.Consul;

/// <summary>
/// The index rules of a Consul blocking-query loop, kept apart from I/O so each rule can be pinned by a test:
/// an index going backwards resets to 0 (a full re-read), an index is never below 1, and an answer whose body
/// did not change raises no event whatever its index.
/// </summary>
internal struct IndexTracker
{
    private bool _seen;
    private ulong _last;
    private UInt128 _hash;

    /// <summary>The index to send next; 0 means a non-blocking read.</summary>
    public ulong NextIndex { get; private set; }

    /// <summary>Records an answer and says whether it carries new content.</summary>
    public bool Observe(ulong index, UInt128 contentHash)
    {
        index = Math.Max(index, 1);
        var backwards = _seen && index < _last;
        var changed = !_seen || contentHash != _hash;
        _seen = true;
        _last = index;
        _hash = contentHash;
        NextIndex = backwards ? 0 : index;
        return changed;
    }

    /// <summary>After a failed query, read without blocking so the state is fresh as soon as Consul answers again.</summary>
    public void Reset() => NextIndex = 0;
}
