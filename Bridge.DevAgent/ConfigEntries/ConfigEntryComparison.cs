using Bridge.DevAgent.Http;

namespace Bridge.DevAgent.ConfigEntries;

/// <summary>
/// Whether two entries hold the same data, indexes aside, as Consul's <c>reflect.DeepEqual</c> decides it: maps compare
/// whatever order their keys were given in.
/// </summary>
internal static class ConfigEntryComparison
{
    public static bool SameContent(ConfigEntry left, ConfigEntry right) =>
        left.GetType() == right.GetType() && JsonElement.DeepEquals(Canonical(left), Canonical(right));

    private static JsonElement Canonical(ConfigEntry entry) =>
        JsonSerializer.SerializeToElement(entry with { CreateIndex = 0, ModifyIndex = 0 }, typeof(ConfigEntry), ConfigEntryJsonContext.Wire);
}
