namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// Where an entry lives in the store: kind and name in lower case, as Consul's <c>config-entries</c> table indexes them,
/// so <c>Web</c> and <c>web</c> are the same entry and listings come sorted by kind, then name.
/// </summary>
internal readonly record struct ConfigEntryKey : IComparable<ConfigEntryKey>
{
    private ConfigEntryKey(string kind, string name)
    {
        Kind = kind;
        Name = name;
    }

    public string Kind { get; }

    public string Name { get; }

    public static ConfigEntryKey Of(string kind, string name) => new(kind.ToLowerInvariant(), name.ToLowerInvariant());

    public static ConfigEntryKey Of(ConfigEntry entry) => Of(entry.Kind, entry.Name);

    public int CompareTo(ConfigEntryKey other)
    {
        var byKind = string.CompareOrdinal(Kind, other.Kind);
        return byKind != 0 ? byKind : string.CompareOrdinal(Name, other.Name);
    }
}
