using Bridge.Daemon.Configuration;

namespace Bridge.Daemon.Cli;

/// <summary>One setting as <c>--help</c> lists it.</summary>
/// <param name="Key">Configuration key, e.g. <c>Consul:Address</c>.</param>
/// <param name="Default">The options type's default, written as it would be in appsettings.json.</param>
/// <param name="EnvironmentVariable">The same key as an environment variable, e.g. <c>BRIDGE_Consul__Address</c>.</param>
/// <param name="Accepted">For a setting with a fixed set of values, those values.</param>
internal sealed record SettingDescription(string Key, string Default, string EnvironmentVariable, IReadOnlyList<string>? Accepted);

/// <summary>
/// Every setting, read off the options types that <see cref="SettingsLoader"/> binds (the sections of
/// <see cref="BridgeSettings"/> and their writable properties), so the reference cannot drift from the code.
/// </summary>
internal static class SettingsReference
{
    public static IReadOnlyList<SettingDescription> All() =>
        [.. Sections().SelectMany(section => Describe(section.Name, section.Type))];

    /// <summary>Section names and options types, as <see cref="SettingSections"/> finds them on <see cref="BridgeSettings"/>.</summary>
    public static IReadOnlyList<(string Name, Type Type)> Sections() => [.. SettingSections.All.Select(s => (s.Name, s.Type))];

    /// <summary>Every top-level configuration section the daemon reads: its own and ASP.NET Core's <c>Logging</c>.</summary>
    public static IReadOnlyList<string> TopLevelSections { get; } =
        [.. SettingSections.All.Select(s => SettingSections.TopLevel(s.Name)).Distinct().Prepend("Logging")];

    private static IEnumerable<SettingDescription> Describe(string section, Type type)
    {
        var defaults = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"{type.Name} has no parameterless constructor");
        // The same selection SettingsLoader binds and validates.
        foreach (var property in OptionsBinder.Settings(type))
        {
            var key = $"{section}:{property.Name}";
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var environment = ConfigurationSources.EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal);
            if (IsDictionary(valueType))
            {
                environment += "__<name>";
            }
            else if (IsList(valueType))
            {
                environment += "__0";
            }

            yield return new SettingDescription(
                key,
                Format(property.GetValue(defaults)),
                environment,
                valueType.IsEnum ? Enum.GetNames(valueType) : null);
        }
    }

    /// <summary>A value as it would be written in appsettings.json (durations as <c>hh:mm:ss[.fff]</c>).</summary>
    public static string Format(object? value) => value switch
    {
        null => "(none)",
        string { Length: 0 } => "(none)",
        string s => s,
        bool b => b ? "true" : "false",
        TimeSpan t => FormatDuration(t),
        Enum e => e.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable<KeyValuePair<string, string>> map when !map.Any() => "{}",
        IEnumerable<KeyValuePair<string, string>> map => "{ " + string.Join(", ", map.Select(e => $"{e.Key}: {Format(e.Value)}").Order(StringComparer.Ordinal)) + " }",
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Format)) + "]",
        _ => value.ToString() ?? "",
    };

    private static string FormatDuration(TimeSpan t)
    {
        var text = t.Days > 0
            ? t.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture)
            : t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
        var fraction = t.Ticks % TimeSpan.TicksPerSecond;
        return fraction == 0 ? text
            : fraction % TimeSpan.TicksPerMillisecond == 0 ? text + "." + (fraction / TimeSpan.TicksPerMillisecond).ToString("000", CultureInfo.InvariantCulture)
            : text + "." + fraction.ToString("0000000", CultureInfo.InvariantCulture);
    }

    private static bool IsDictionary(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var g
        && (g == typeof(IReadOnlyDictionary<,>) || g == typeof(IDictionary<,>) || g == typeof(Dictionary<,>));

    private static bool IsList(Type type) =>
        type != typeof(string) && (type.IsArray || (type.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)));
}
