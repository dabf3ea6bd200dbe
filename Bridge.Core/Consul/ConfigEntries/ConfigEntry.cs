namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>The config entry kinds that shape traffic to a service, each listed by <c>GET /v1/config/&lt;kind&gt;</c>.</summary>
internal enum ConfigEntryKind
{
    ServiceDefaults,
    ServiceRouter,
    ServiceSplitter,
    ServiceResolver,
}

internal static class ConfigEntryKinds
{
    public static IReadOnlyList<ConfigEntryKind> All { get; } =
        [ConfigEntryKind.ServiceDefaults, ConfigEntryKind.ServiceRouter, ConfigEntryKind.ServiceSplitter, ConfigEntryKind.ServiceResolver];

    /// <summary>The kind as Consul spells it in its API paths and in an entry's <c>Kind</c>.</summary>
    public static string ApiName(this ConfigEntryKind kind) => kind switch
    {
        ConfigEntryKind.ServiceDefaults => "service-defaults",
        ConfigEntryKind.ServiceRouter => "service-router",
        ConfigEntryKind.ServiceSplitter => "service-splitter",
        ConfigEntryKind.ServiceResolver => "service-resolver",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>
/// What every config entry carries, as <c>GET /v1/config/&lt;kind&gt;</c> returns it. <c>Namespace</c> and
/// <c>Partition</c> appear only on Consul Enterprise.
/// </summary>
internal abstract record ConfigEntry
{
    public string? Kind { get; init; }
    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public string? Partition { get; init; }
    public IReadOnlyDictionary<string, string>? Meta { get; init; }
    public ulong CreateIndex { get; init; }
    public ulong ModifyIndex { get; init; }

    /// <summary>Which kind this record holds, whatever its <see cref="Kind"/> field said.</summary>
    [JsonIgnore]
    public abstract ConfigEntryKind EntryKind { get; }
}

/// <summary>Header changes a route or split makes: <c>Add</c> appends, <c>Set</c> overwrites, <c>Remove</c> strips.</summary>
internal sealed record HttpHeaderModifiers
{
    public IReadOnlyDictionary<string, string>? Add { get; init; }
    public IReadOnlyDictionary<string, string>? Set { get; init; }
    public IReadOnlyList<string>? Remove { get; init; }
}
