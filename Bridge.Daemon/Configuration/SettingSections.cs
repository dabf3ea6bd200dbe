using Bridge.Core.Ads;
using Bridge.Daemon.Security;

namespace Bridge.Daemon.Configuration;

/// <summary>
/// The parts of <see cref="BridgeSettings"/> that hold options, each with its configuration section, in the order the
/// record declares them grouped by top-level section (so <c>Ads:Authorization</c> follows <c>Ads</c>). --help lists
/// their settings, a reload compares them.
/// </summary>
internal static class SettingSections
{
    /// <summary>One options part: its section, its options type, and the <see cref="BridgeSettings"/> property holding it.</summary>
    internal sealed record Section(string Name, Type Type, PropertyInfo Part);

    /// <summary>
    /// Options types whose keys sit in another type's section: the ADS listener's TLS keys are in <c>Ads</c>.
    /// A new options type without a SectionName constant must be added here, or <see cref="All"/> throws.
    /// </summary>
    private static readonly Dictionary<Type, string> SharedSections = new() { [typeof(AdsTlsOptions)] = AdsOptions.SectionName };

    public static IReadOnlyList<Section> All { get; } = Find();

    /// <summary>Every setting of a snapshot, by key (<c>Consul:Address</c>), in the order of <see cref="All"/>.</summary>
    public static IEnumerable<(string Key, object? Value)> Values(BridgeSettings settings) =>
        from section in All
        let options = section.Part.GetValue(settings)
        from property in OptionsBinder.Settings(section.Type)
        select ($"{section.Name}:{property.Name}", property.GetValue(options));

    private static List<Section> Find()
    {
        var sections = typeof(BridgeSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType.Namespace?.StartsWith("Bridge.", StringComparison.Ordinal) == true)
            .Select(p => new Section(SharedSections.TryGetValue(p.PropertyType, out var shared) ? shared : SectionName(p.PropertyType), p.PropertyType, p))
            .ToList();
        var order = sections.Select(s => TopLevel(s.Name)).Distinct().ToList();
        return [.. sections.OrderBy(s => order.IndexOf(TopLevel(s.Name)))];
    }

    public static string TopLevel(string section) => section.Split(':')[0];

    private static string SectionName(Type type) =>
        type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string
        ?? throw new InvalidOperationException($"{type.Name} declares no SectionName constant and is not in SharedSections");
}
