namespace Bridge.Core.Xds;

/// <summary>
/// Which streams a published snapshot can concern. Each stream registers keys: the resource names it subscribed
/// to (and the services of the names it declared in scope), or, for a wildcard it cannot narrow, the type's
/// <see cref="WildcardKey"/>. Publishing a snapshot wakes only the streams holding a key that changed, so a change
/// to one service costs the streams that use it, not the whole fleet. A stream woken needlessly finds nothing to
/// send; a stream that should have been woken and was not would be a lost update, so keys err on the wide side.
/// </summary>
internal sealed class WakeIndex
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Bucket> _byKey = new(StringComparer.Ordinal);
    private readonly Bucket _all = new();

    /// <summary>The key that every change of <paramref name="typeUrl"/> wakes.</summary>
    public static string WildcardKey(string typeUrl) => typeUrl switch
    {
        TypeUrls.Cluster => ClusterWildcard,
        TypeUrls.ClusterLoadAssignment => AssignmentWildcard,
        TypeUrls.Listener => ListenerWildcard,
        TypeUrls.RouteConfiguration => RouteWildcard,
        _ => "\u0001" + typeUrl,
    };

    private const string ClusterWildcard = "\u0001" + TypeUrls.Cluster;
    private const string AssignmentWildcard = "\u0001" + TypeUrls.ClusterLoadAssignment;
    private const string ListenerWildcard = "\u0001" + TypeUrls.Listener;
    private const string RouteWildcard = "\u0001" + TypeUrls.RouteConfiguration;

    /// <summary>Streams known to the index; each has a registration until disposed.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _all.Count;
            }
        }
    }

    /// <summary>Adds a stream with no keys yet: it is woken by <see cref="WakeAll"/> only, until it states its interest.</summary>
    public Registration Register(WakeSignal signal)
    {
        lock (_gate)
        {
            _all.Add(signal);
        }

        return new Registration(this, signal);
    }

    /// <summary>Wakes the streams holding any key of the changed names, by type URL.</summary>
    public void Wake(IReadOnlyDictionary<string, HashSet<string>> changed)
    {
        lock (_gate)
        {
            foreach (var (typeUrl, names) in changed)
            {
                WakeKey(WildcardKey(typeUrl));
                foreach (var name in names)
                {
                    WakeKey(name);
                }
            }
        }
    }

    /// <summary>Wakes every stream: for changes that are not about names (readiness, new settings).</summary>
    public void WakeAll()
    {
        lock (_gate)
        {
            foreach (var signal in _all.Members())
            {
                signal.Set();
            }
        }
    }

    /// <summary>How many streams hold <paramref name="key"/>, for tests and diagnostics.</summary>
    public int CountFor(string key)
    {
        lock (_gate)
        {
            return _byKey.TryGetValue(key, out var bucket) ? bucket.Count : 0;
        }
    }

    private void WakeKey(string key)
    {
        if (_byKey.TryGetValue(key, out var bucket))
        {
            foreach (var signal in bucket.Members())
            {
                signal.Set();
            }
        }
    }

    private void Replace(WakeSignal signal, HashSet<string> before, HashSet<string> after)
    {
        lock (_gate)
        {
            foreach (var key in before)
            {
                if (!after.Contains(key) && _byKey.TryGetValue(key, out var bucket))
                {
                    bucket.Remove(signal);
                    if (bucket.Count == 0)
                    {
                        _byKey.Remove(key);
                    }
                }
            }

            foreach (var key in after)
            {
                if (!before.Contains(key))
                {
                    if (!_byKey.TryGetValue(key, out var bucket))
                    {
                        _byKey[key] = bucket = new Bucket();
                    }

                    bucket.Add(signal);
                }
            }
        }
    }

    private void Remove(WakeSignal signal, HashSet<string> keys)
    {
        Replace(signal, keys, []);
        lock (_gate)
        {
            _all.Remove(signal);
        }
    }

    /// <summary>One stream's place in the index.</summary>
    public sealed class Registration : IDisposable
    {
        private readonly WakeIndex _index;
        private readonly WakeSignal _signal;
        private HashSet<string> _keys = new(StringComparer.Ordinal);
        private bool _disposed;

        internal Registration(WakeIndex index, WakeSignal signal)
        {
            _index = index;
            _signal = signal;
        }

        /// <summary>The keys this stream holds now.</summary>
        public IReadOnlySet<string> Keys => _keys;

        /// <summary>Replaces the stream's keys; only the difference touches the index.</summary>
        public void Update(HashSet<string> keys)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (keys.SetEquals(_keys))
            {
                return;
            }

            _index.Replace(_signal, _keys, keys);
            _keys = keys;
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                _index.Remove(_signal, _keys);
            }
        }
    }

    /// <summary>A set of signals with an array copy for waking, rebuilt only after the set changed.</summary>
    private sealed class Bucket
    {
        private readonly HashSet<WakeSignal> _set = [];
        private WakeSignal[]? _array;

        public int Count => _set.Count;

        public void Add(WakeSignal signal)
        {
            if (_set.Add(signal))
            {
                _array = null;
            }
        }

        public void Remove(WakeSignal signal)
        {
            if (_set.Remove(signal))
            {
                _array = null;
            }
        }

        public WakeSignal[] Members() => _array ??= [.. _set];
    }
}
