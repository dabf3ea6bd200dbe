using Bridge.Core.Consul;
using Bridge.Core.Consul.ConfigEntries;

namespace Bridge.Core.Catalog.Chains;

/// <summary>
/// How Consul's config entries route calls, at one moment: the compiled chain of every service whose chain is not
/// the default one, why a chain could not be compiled (the previous one stays served), and the instances of every
/// target beyond a service's own (a subset, another datacenter).
/// </summary>
public sealed record CatalogRouting
{
    public static CatalogRouting Empty { get; } = new();

    /// <summary>The agent's datacenter: targets without another one are here. Empty until known.</summary>
    public string LocalDatacenter { get; init; } = "";

    internal ImmutableSortedDictionary<string, DiscoveryChain> Chains { get; init; } = ImmutableSortedDictionary.Create<string, DiscoveryChain>(StringComparer.Ordinal);

    internal ImmutableSortedDictionary<string, ChainError> Errors { get; init; } = ImmutableSortedDictionary.Create<string, ChainError>(StringComparer.Ordinal);

    /// <summary>Instances of each health query a chain's targets need beyond the services' own reads.</summary>
    internal ImmutableSortedDictionary<HealthQuery, CatalogService> Targets { get; init; } = ImmutableSortedDictionary<HealthQuery, CatalogService>.Empty;

    /// <summary>The instances the subset and other-datacenter reads left out (unreadable, or not told apart).</summary>
    public IEnumerable<Consul.SkippedInstance> TargetsLeftOut => Targets.Values.SelectMany(t => t.LeftOut);

    /// <summary>Config entries that could not be read, with why.</summary>
    internal ImmutableArray<SkippedConfigEntry> Unreadable { get; init; } = [];

    /// <summary>The config entry lists the chains were compiled from, for the state file.</summary>
    internal ImmutableArray<ConfigEntryList> Lists { get; init; } = [];

    /// <summary>
    /// For a service whose chain <see cref="ChainChecks"/> rejects, the last chain of it that passed: what proxies are
    /// still served, so its targets are still read.
    /// </summary>
    internal ImmutableSortedDictionary<string, DiscoveryChain> Fallbacks { get; init; } = ImmutableSortedDictionary.Create<string, DiscoveryChain>(StringComparer.Ordinal);

    /// <summary>
    /// Per calling service (the name of its <c>service-defaults</c> entry, matched ignoring case), how it reaches its
    /// upstreams: applied to the clusters served to the nodes that say they belong to it.
    /// </summary>
    internal ImmutableSortedDictionary<string, CallerUpstreams> Callers { get; init; } = ImmutableSortedDictionary.Create<string, CallerUpstreams>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The health query that reads a target: none for a service's own instances in this datacenter (its regular read).</summary>
    internal HealthQuery? QueryOf(Target target) =>
        target.Subset is null && target.Id.Datacenter == LocalDatacenter
            ? null
            : new HealthQuery(target.Id.Service, target.Id.Datacenter == LocalDatacenter ? "" : target.Id.Datacenter, target.Subset?.Filter ?? "");

    /// <summary>Every health query the chains' targets need.</summary>
    internal IEnumerable<HealthQuery> Queries() =>
        Chains.Values.Concat(Fallbacks.Values).SelectMany(c => c.Targets).Select(QueryOf).OfType<HealthQuery>().Distinct();
}

/// <summary>Routing as a state file saved it: the datacenter, the config entry lists and the target reads.</summary>
internal sealed record SavedRouting(string Datacenter, ImmutableArray<ConfigEntryList> Lists, ImmutableSortedDictionary<HealthQuery, CatalogService> Targets);

/// <summary>
/// What a change of routing concerns: the services whose chain changed, the target reads that did, and the calling
/// services whose upstream settings did.
/// </summary>
internal sealed record RoutingChange(ImmutableSortedSet<string> Chains, ImmutableSortedSet<HealthQuery> Targets)
{
    public static RoutingChange None { get; } = new([], []);

    public ImmutableSortedSet<string> Callers { get; init; } = [];

    public bool IsEmpty => Chains.IsEmpty && Targets.IsEmpty && Callers.IsEmpty;
}

/// <summary>
/// The catalog stage's side of traffic management: keeps the last good list of each config entry kind and the
/// target reads, and compiles the chains again when entries, services or the datacenter change. A chain that fails
/// to compile is logged once (with the entry at fault) and its previous version stays in force.
/// </summary>
internal sealed class RoutingState
{
    private readonly ILogger _logger;
    private readonly Dictionary<ConfigEntryKind, ConfigEntryList> _lists = [];
    private readonly Dictionary<HealthQuery, CatalogService> _targets = [];
    private readonly HashSet<HealthQuery> _changedTargets = [];
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly HashSet<ConfigEntryKind> _kindsRead = [];
    private readonly HashSet<HealthQuery> _targetsRead = [];
    private bool _entriesChanged;
    private string? _datacenter;
    private bool _datacenterRead;
    private readonly Dictionary<object, string> _failing = [];
    private string[] _failingView = [];

    /// <summary>
    /// Routing reads Consul does not answer now, each with why (a config entry kind, or a target's read). Safe to read
    /// from any thread: a copy made on the catalog loop.
    /// </summary>
    public IReadOnlyCollection<string> Failing => Volatile.Read(ref _failingView);

    public RoutingState(ILogger logger) => _logger = logger;

    /// <summary>
    /// Whether routing has been read whole once: the datacenter, every config entry kind, and every target read the
    /// chains need. Until then a chain could be served as the default one and flip a moment later.
    /// </summary>
    /// What the state file restored does not count: only what Consul said in this process.
    /// A read that fails counts as answered here, so that one datacenter out of reach or one kind the token may not
    /// read does not hold start-up to its bound; it is reported in <see cref="Failing"/> instead.
    public bool ReadOnce(CatalogRouting routing) =>
        _datacenterRead
        && ConfigEntryKinds.All.All(kind => _kindsRead.Contains(kind) || _failing.ContainsKey(kind))
        && routing.Queries().All(query => _targetsRead.Contains(query) || _failing.ContainsKey(query));

    private static string Describe(object read) => read switch
    {
        ConfigEntryKind kind => $"config entries {kind.ApiName()}",
        HealthQuery query => $"instances of {query.Service}"
            + (query.Filter.Length > 0 ? $" matching {query.Filter}" : "")
            + (query.Datacenter.Length > 0 ? $" in {query.Datacenter}" : ""),
        _ => read.ToString() ?? "",
    };

    /// <summary>
    /// Takes the routing a state file saved, to serve until Consul answers: the datacenter, the entry lists and
    /// the target reads, compiled by the next <see cref="Build"/> as if Consul had just said them.
    /// </summary>
    public void Restore(SavedRouting saved)
    {
        _datacenter = saved.Datacenter;
        foreach (var list in saved.Lists)
        {
            _lists[list.Kind] = list;
        }

        foreach (var (query, target) in saved.Targets)
        {
            _targets[query] = target;
            _changedTargets.Add(query);
        }

        _entriesChanged = true;
    }

    /// <summary>Takes the routing events of a batch; returns false for any other event.</summary>
    public bool Take(ConsulEvent e)
    {
        switch (e)
        {
            case ConfigEntriesObserved observed:
                _lists[observed.List.Kind] = observed.List;
                _kindsRead.Add(observed.List.Kind);
                _entriesChanged = true;
                foreach (var skipped in observed.List.Skipped)
                {
                    if (_reported.Add($"{skipped.Kind}/{skipped.Name}/{skipped.Field}/{skipped.Value}"))
                    {
                        CatalogLog.ConfigEntryUnreadable(_logger, skipped.Kind, skipped.Name, skipped.Field, skipped.Reason);
                    }
                }

                return true;

            case LocalDatacenterObserved dc:
                _entriesChanged |= dc.Datacenter != _datacenter;
                _datacenter = dc.Datacenter;
                _datacenterRead = true;
                return true;

            case RoutingReadChanged changed:
                if (changed.Error is null)
                {
                    _failing.Remove(changed.Read);
                }
                else
                {
                    _failing[changed.Read] = changed.Error;
                }

                Volatile.Write(ref _failingView, [.. _failing.Select(f => $"{Describe(f.Key)}: {f.Value}").Order(StringComparer.Ordinal)]);
                return true;

            case TargetEntriesObserved read:
                // As for a service's own answer: what cannot be read or told apart is left out, and said once.
                var leftOut = new List<SkippedInstance>(read.Skipped);
                var instances = InstanceFactory.Build(read.Query.Service, read.Entries, (s, key) => CatalogLog.DuplicateInstance(_logger, s, key.ToString()), leftOut);
                var target = new CatalogService(read.Query.Service, read.Index, instances) { LeftOut = [.. leftOut] };
                CatalogStore.ReportLeftOut(_logger, Describe(read.Query), _targets.GetValueOrDefault(read.Query), target);
                _targets[read.Query] = target;
                _changedTargets.Add(read.Query);
                _targetsRead.Add(read.Query);
                return true;

            default:
                return false;
        }
    }

    /// <summary>The routing to serve with these services, and what changed since <paramref name="before"/>.</summary>
    public (CatalogRouting Routing, RoutingChange Change) Build(ImmutableSortedDictionary<string, CatalogService> services, CatalogRouting before, bool membershipChanged)
    {
        var routing = before;
        var changedChains = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        var changedCallers = ImmutableSortedSet.CreateBuilder<string>(StringComparer.OrdinalIgnoreCase);
        // Each kind is its own watch: until every kind has been read once, a splitter may arrive before the resolver
        // defining its subsets, and a chain compiled from half the entries would be reported broken for nothing.
        if (_datacenter is { Length: > 0 } dc && _lists.Count == ConfigEntryKinds.All.Count
            && (_entriesChanged || membershipChanged || dc != before.LocalDatacenter))
        {
            var entries = ConfigEntrySet.Create(_lists.Values);
            var compiled = ChainCompiler.CompileAll(services.Keys.Concat(entries.ServiceNames), entries, dc);
            var chains = ImmutableSortedDictionary.CreateBuilder<string, DiscoveryChain>(StringComparer.Ordinal);
            var errors = ImmutableSortedDictionary.CreateBuilder<string, ChainError>(StringComparer.Ordinal);
            foreach (var (service, result) in compiled)
            {
                if (result.Succeeded)
                {
                    if (!result.Chain.IsDefault)
                    {
                        chains[service] = result.Chain;
                    }

                    continue;
                }

                errors[service] = result.Error;
                if (_reported.Add(result.Error.ToString()))
                {
                    CatalogLog.ChainNotCompiled(_logger, service, result.Error.Kind, result.Error.Name, result.Error.Reason);
                }

                // The chain served before stays in force until the entries compile again.
                if (before.Chains.TryGetValue(service, out var previous))
                {
                    chains[service] = previous;
                }
            }

            foreach (var service in chains.Keys.Union(before.Chains.Keys))
            {
                if (!Equals(chains.GetValueOrDefault(service), before.Chains.GetValueOrDefault(service)))
                {
                    changedChains.Add(service);
                }
            }

            // A chain proxies would reject is not served (the Xds stage keeps the last one that passed): its targets
            // stay read, or that chain's subsets would be served with no instances.
            var fallbacks = ImmutableSortedDictionary.CreateBuilder<string, DiscoveryChain>(StringComparer.Ordinal);
            foreach (var (service, chain) in chains)
            {
                if (ChainChecks.Problem(chain) is null)
                {
                    continue;
                }

                if (before.Fallbacks.TryGetValue(service, out var kept))
                {
                    fallbacks[service] = kept;
                }
                else if (before.Chains.TryGetValue(service, out var previous) && ChainChecks.Problem(previous) is null)
                {
                    fallbacks[service] = previous;
                }
            }

            var callers = CallersOf(entries, before.Callers);
            foreach (var caller in callers.Keys.Union(before.Callers.Keys, StringComparer.OrdinalIgnoreCase))
            {
                if (!Equals(callers.GetValueOrDefault(caller), before.Callers.GetValueOrDefault(caller)))
                {
                    changedCallers.Add(caller);
                }
            }

            routing = routing with
            {
                LocalDatacenter = dc,
                Callers = callers,
                Chains = chains.ToImmutable(),
                Errors = errors.ToImmutable(),
                Unreadable = [.. _lists.Values.SelectMany(l => l.Skipped)],
                Lists = [.. _lists.Values.OrderBy(l => l.Kind)],
                Fallbacks = fallbacks.ToImmutable(),
            };
            _entriesChanged = false;
        }

        // Only the reads the chains still need are kept; the watcher stops the others.
        var needed = routing.Queries().ToHashSet();
        foreach (var query in _targets.Keys.Where(q => !needed.Contains(q)).ToList())
        {
            _targets.Remove(query);
            _targetsRead.Remove(query);
            _changedTargets.Add(query);
        }

        var changedTargets = _changedTargets.Where(q => needed.Contains(q) || before.Targets.ContainsKey(q)).ToImmutableSortedSet();
        _changedTargets.Clear();
        if (!changedTargets.IsEmpty)
        {
            routing = routing with { Targets = _targets.ToImmutableSortedDictionary() };
        }

        return (routing, new RoutingChange(changedChains.ToImmutable(), changedTargets) { Callers = changedCallers.ToImmutable() });
    }

    /// <summary>
    /// The upstream settings of every <c>service-defaults</c> entry that has some. Settings that break a rule are
    /// logged once, naming the entry, and the caller keeps the settings it had.
    /// </summary>
    private ImmutableSortedDictionary<string, CallerUpstreams> CallersOf(ConfigEntrySet entries, ImmutableSortedDictionary<string, CallerUpstreams> before)
    {
        var callers = ImmutableSortedDictionary.CreateBuilder<string, CallerUpstreams>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries.All.OfType<ServiceDefaultsEntry>())
        {
            var upstreams = CallerUpstreams.From(entry, out var problem);
            if (problem is not null)
            {
                if (_reported.Add($"upstreams {entry.Name}: {problem}"))
                {
                    CatalogLog.UpstreamConfigNotApplied(_logger, entry.Name, problem);
                }

                upstreams = before.GetValueOrDefault(entry.Name);
            }

            if (upstreams is null)
            {
                continue;
            }

            foreach (var note in upstreams.NotApplied)
            {
                if (_reported.Add($"upstreams {entry.Name}: {note}"))
                {
                    CatalogLog.UpstreamSettingIgnored(_logger, entry.Name, note);
                }
            }

            callers[entry.Name] = upstreams;
        }

        return callers.ToImmutable();
    }
}
