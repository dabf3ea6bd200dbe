namespace Bridge.Core.Ads;

/// <summary>What the client holds of one resource, as far as the stream knows.</summary>
internal enum Held
{
    /// <summary>Not tracked: how this stream's own entries forget a name the shared base holds.</summary>
    Untracked,

    /// <summary>The client holds the resource at the recorded version (sent, or declared when resuming).</summary>
    AtVersion,

    /// <summary>The client was told the resource does not exist.</summary>
    Absent,

    /// <summary>The client must be sent the resource again, whatever version it holds (a warming cluster, a resubscription).</summary>
    Resend,
}

/// <summary>
/// What one stream knows about one type URL, for both protocols: what the client subscribed to (names, wildcard),
/// what it holds of each resource, the nonce and versions of the exchange, and whether an answer is owed. The
/// stream's serving loop is its only writer; diagnostics read it under its lock.
/// </summary>
/// <remarks>
/// What the client holds is kept as a base shared by every stream sent the same response (the name-to-version map
/// of a response's body, see <see cref="HoldExactly"/>) and this stream's own differences from it: a fleet of
/// proxies synced to the same thousand resources shares one map instead of holding a thousand entries each.
/// </remarks>
internal sealed class Subscription
{
    private static readonly IReadOnlyDictionary<string, string> NoBase = new Dictionary<string, string>(StringComparer.Ordinal);

    private IReadOnlyDictionary<string, string> _base = NoBase;
    private Dictionary<string, (Held State, string? Version)>? _own;
    private int _count;

    public Subscription(string typeUrl) => TypeUrl = typeUrl;

    public string TypeUrl { get; }

    /// <summary>Names subscribed explicitly, without <c>*</c>.</summary>
    public HashSet<string> Names { get; set; } = new(StringComparer.Ordinal);

    public bool Wildcard { get; set; }

    /// <summary>Whether a request of this type has arrived on this stream.</summary>
    public bool Requested { get; set; }

    /// <summary>Whether the client has ever listed a name: until then a state-of-the-world empty list means wildcard.</summary>
    public bool ListedAName { get; set; }

    /// <summary>Whether any response of this type has been sent on this stream.</summary>
    public bool Answered { get; set; }

    /// <summary>The subscription changed or nothing was answered yet: compare everything, and answer even if nothing differs.</summary>
    public bool Owed { get; set; }

    /// <summary>The snapshot generation this subscription was last evaluated against; -1 before the first.</summary>
    public long ServedGeneration { get; set; } = -1;

    /// <summary>When the Consul change behind our latest response arrived (0 if it answered a subscription), for the ACK latency.</summary>
    public long PendingChangedAt { get; set; }

    /// <summary>The nonce of our latest response of this type.</summary>
    public string? Nonce { get; set; }

    /// <summary>The version (state of the world) or nonce (delta) of our latest response, and the last the client accepted and rejected.</summary>
    public string? SentVersion { get; set; }

    public string? AckedVersion { get; set; }

    public string? RejectedVersion { get; set; }

    public string? RejectError { get; set; }

    /// <summary>How many resources the client is known to hold or to have been told about.</summary>
    public int HeldCount => _count;

    /// <summary>Every name the stream tracks for the client (held, absent or owed again).</summary>
    public IEnumerable<string> HeldNames => Entries().Select(e => e.Name);

    public bool Tracks(string name) => Lookup(name).State != Held.Untracked;

    /// <summary>Whether the client holds exactly this version of the resource.</summary>
    public bool Holds(string name, string version) => Lookup(name) is (Held.AtVersion, var held) && held == version;

    /// <summary>Whether the client holds some version of the resource, or must be sent it again: anything but absent or unknown.</summary>
    public bool HoldsSomething(string name) => Lookup(name).State is Held.AtVersion or Held.Resend;

    public bool WasToldAbsent(string name) => Lookup(name).State == Held.Absent;

    /// <summary>Records a version sent (or declared by a resuming client); recorded at send time, so a rejected version is not sent again.</summary>
    public void Sent(string name, string version) => Set(name, Held.AtVersion, version);

    public void ToldAbsent(string name) => Set(name, Held.Absent, null);

    /// <summary>The client must be sent the resource again even though it may hold the current version.</summary>
    public void MustResend(string name) => Set(name, Held.Resend, null);

    public void Forget(string name) => Set(name, Held.Untracked, null);

    public void ForgetAll()
    {
        _base = NoBase;
        _own = null;
        _count = 0;
    }

    /// <summary>
    /// The client holds exactly these resources at these versions and nothing else: the map of the response just sent,
    /// shared with every stream sent the same one, and never modified.
    /// </summary>
    public void HoldExactly(IReadOnlyDictionary<string, string> held)
    {
        _base = held;
        _own = null;
        _count = held.Count;
    }

    private (Held State, string? Version) Lookup(string name)
    {
        if (_own is not null && _own.TryGetValue(name, out var own))
        {
            return own;
        }

        return _base.TryGetValue(name, out var version) ? (Held.AtVersion, version) : (Held.Untracked, null);
    }

    private void Set(string name, Held state, string? version)
    {
        var tracked = Tracks(name);
        if (_base.TryGetValue(name, out var shared) && !(state == Held.AtVersion && shared == version))
        {
            (_own ??= new(StringComparer.Ordinal))[name] = (state, version);
        }
        else if (state == Held.Untracked || _base.ContainsKey(name))
        {
            // Nothing of its own to remember: absent from the base and untracked, or exactly what the base says.
            _own?.Remove(name);
        }
        else
        {
            (_own ??= new(StringComparer.Ordinal))[name] = (state, version);
        }

        _count += (state != Held.Untracked ? 1 : 0) - (tracked ? 1 : 0);
    }

    /// <summary>Every tracked name with what the client holds of it.</summary>
    private IEnumerable<(string Name, Held State, string? Version)> Entries()
    {
        foreach (var (name, version) in _base)
        {
            if (_own is null || !_own.ContainsKey(name))
            {
                yield return (name, Held.AtVersion, version);
            }
        }

        if (_own is not null)
        {
            foreach (var (name, (state, version)) in _own)
            {
                if (state != Held.Untracked)
                {
                    yield return (name, state, version);
                }
            }
        }
    }

    /// <summary>Name to version of every resource the client holds, for operators.</summary>
    public ImmutableSortedDictionary<string, string> HeldVersions() =>
        Entries().Where(e => e.State == Held.AtVersion).ToImmutableSortedDictionary(e => e.Name, e => e.Version!, StringComparer.Ordinal);

    public TypeStatus Describe() =>
        new(TypeUrl, Wildcard, [.. Names.Order(StringComparer.Ordinal)], SentVersion, AckedVersion, RejectedVersion, RejectError, HeldVersions());
}

/// <summary>A stream's subscriptions, one per type URL, with what both protocols do across types.</summary>
internal sealed class Subscriptions
{
    private readonly Dictionary<string, Subscription> _byType = new(StringComparer.Ordinal);

    public bool TryGet(string typeUrl, out Subscription subscription)
    {
        lock (_byType)
        {
            return _byType.TryGetValue(typeUrl, out subscription!);
        }
    }

    /// <summary>The subscription of a type, created (owing a first answer) on its first request.</summary>
    public Subscription GetOrAdd(string typeUrl)
    {
        lock (_byType)
        {
            if (!_byType.TryGetValue(typeUrl, out var subscription))
            {
                _byType[typeUrl] = subscription = new Subscription(typeUrl) { Owed = true };
            }

            return subscription;
        }
    }

    public IReadOnlyList<Subscription> All()
    {
        lock (_byType)
        {
            return [.. _byType.Values];
        }
    }

    /// <summary>
    /// A proxy warms an updated cluster until it receives that cluster's assignment again, even an unchanged one:
    /// mark those assignments to be sent again with the next EDS answer. (A new cluster needs nothing: the proxy
    /// subscribes to its assignment, which is then sent anyway.)
    /// </summary>
    public void RewarmAssignment(string cluster)
    {
        if (!TryGet(Xds.TypeUrls.ClusterLoadAssignment, out var eds))
        {
            return;
        }

        lock (eds)
        {
            if (eds.HoldsSomething(cluster))
            {
                eds.MustResend(cluster);
                eds.Owed = true;
            }
        }
    }

    public IReadOnlyList<TypeStatus> Describe() =>
        [.. All().Select(s =>
        {
            lock (s)
            {
                return s.Describe();
            }
        })];
}
