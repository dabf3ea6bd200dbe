using System.Collections.Frozen;

namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>
/// The config entries of the four kinds, by service name (matched case-insensitively, as Consul stores them), each
/// checked once against Consul's rules for its kind (<see cref="ConfigEntryRules"/>). An entry that breaks them is
/// kept with its problem: a chain that uses it fails to compile, naming it, while chains that do not are unaffected.
/// </summary>
internal sealed class ConfigEntrySet
{
    private readonly FrozenDictionary<string, ServiceDefaultsEntry> _defaults;
    private readonly FrozenDictionary<string, ServiceRouterEntry> _routers;
    private readonly FrozenDictionary<string, ServiceSplitterEntry> _splitters;
    private readonly FrozenDictionary<string, ServiceResolverEntry> _resolvers;
    private readonly Dictionary<ConfigEntry, string> _problems;

    private ConfigEntrySet(IEnumerable<ConfigEntry> entries)
    {
        var defaults = new Dictionary<string, ServiceDefaultsEntry>(StringComparer.OrdinalIgnoreCase);
        var routers = new Dictionary<string, ServiceRouterEntry>(StringComparer.OrdinalIgnoreCase);
        var splitters = new Dictionary<string, ServiceSplitterEntry>(StringComparer.OrdinalIgnoreCase);
        var resolvers = new Dictionary<string, ServiceResolverEntry>(StringComparer.OrdinalIgnoreCase);
        _problems = new Dictionary<ConfigEntry, string>(ReferenceEqualityComparer.Instance);

        // Consul keeps one entry per kind and name; should an answer list two, the later one wins.
        foreach (var entry in entries)
        {
            switch (entry)
            {
                case ServiceDefaultsEntry e:
                    defaults[e.Name] = e;
                    break;
                case ServiceRouterEntry e:
                    routers[e.Name] = e;
                    break;
                case ServiceSplitterEntry e:
                    splitters[e.Name] = e;
                    break;
                case ServiceResolverEntry e:
                    resolvers[e.Name] = e;
                    break;
            }
        }

        _defaults = defaults.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _routers = routers.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _splitters = splitters.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _resolvers = resolvers.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        foreach (var entry in All)
        {
            if (ConfigEntryRules.Problem(entry) is { } problem)
            {
                _problems[entry] = problem;
            }
        }
    }

    public static ConfigEntrySet Empty { get; } = new([]);

    public static ConfigEntrySet Create(IEnumerable<ConfigEntry> entries) => new(entries);

    /// <summary>Every entry of the lists given, however many lists.</summary>
    public static ConfigEntrySet Create(params IEnumerable<ConfigEntryList> lists) => new(lists.SelectMany(l => l.Entries));

    public IEnumerable<ConfigEntry> All =>
        _defaults.Values.Cast<ConfigEntry>().Concat(_routers.Values).Concat(_splitters.Values).Concat(_resolvers.Values);

    /// <summary>The names of every entry of any kind, in ordinal order: services whose chain may differ from the default.</summary>
    public IReadOnlyList<string> ServiceNames =>
        [.. All.Select(e => e.Name).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)];

    public ServiceDefaultsEntry? Defaults(string service) => _defaults.GetValueOrDefault(service);

    public ServiceRouterEntry? Router(string service) => _routers.GetValueOrDefault(service);

    public ServiceSplitterEntry? Splitter(string service) => _splitters.GetValueOrDefault(service);

    public ServiceResolverEntry? Resolver(string service) => _resolvers.GetValueOrDefault(service);

    /// <summary>Which of Consul's rules the entry breaks; null when it breaks none.</summary>
    public string? Problem(ConfigEntry entry) => _problems.GetValueOrDefault(entry);
}
