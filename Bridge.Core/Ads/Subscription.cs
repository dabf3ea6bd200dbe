using System.Collections.Immutable;

namespace Bridge.Core.Ads;

/// <summary>What the client holds of one resource, as far as the stream knows.</summary>
internal enum Held
{
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
internal sealed class Subscription
{
    private readonly Dictionary<string, (Held State, string? Version)> _held = new(StringComparer.Ordinal);

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
    public int HeldCount => _held.Count;

    /// <summary>Every name the stream tracks for the client (held, absent or owed again).</summary>
    public IEnumerable<string> HeldNames => _held.Keys;

    public bool Tracks(string name) => _held.ContainsKey(name);

    /// <summary>Whether the client holds exactly this version of the resource.</summary>
    public bool Holds(string name, string version) => _held.TryGetValue(name, out var held) && held.State == Held.AtVersion && held.Version == version;

    /// <summary>Whether the client holds some version of the resource, or must be sent it again: anything but absent or unknown.</summary>
    public bool HoldsSomething(string name) => _held.TryGetValue(name, out var held) && held.State != Held.Absent;

    public bool WasToldAbsent(string name) => _held.TryGetValue(name, out var held) && held.State == Held.Absent;

    /// <summary>Records a version sent (or declared by a resuming client); recorded at send time, so a rejected version is not sent again.</summary>
    public void Sent(string name, string version) => _held[name] = (Held.AtVersion, version);

    public void ToldAbsent(string name) => _held[name] = (Held.Absent, null);

    /// <summary>The client must be sent the resource again even though it may hold the current version.</summary>
    public void MustResend(string name) => _held[name] = (Held.Resend, null);

    public void Forget(string name) => _held.Remove(name);

    public void ForgetAll() => _held.Clear();

    /// <summary>Name to version of every resource the client holds, for operators.</summary>
    public ImmutableSortedDictionary<string, string> HeldVersions() =>
        _held.Where(kv => kv.Value.State == Held.AtVersion).ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.Version!, StringComparer.Ordinal);

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
