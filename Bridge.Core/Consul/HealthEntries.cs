namespace Bridge.Core.Consul;

/// <summary>An entry of a Consul answer that could not be read into the model, and so is left out.</summary>
/// <param name="Field">Where in the entry reading failed, e.g. <c>Service.Weights.Passing</c>.</param>
/// <param name="Value">The offending JSON value, shortened.</param>
public sealed record SkippedInstance(string Node, string ServiceId, string Field, string Value);

/// <summary>
/// Reads <c>/v1/health/service/:service</c> entry by entry (<see cref="JsonArrayEntries"/>), so that one registration
/// our model cannot hold costs that entry and not the service. JSON null is a bad answer: Consul always sends an array.
/// </summary>
internal static class HealthEntries
{
    public static (HealthServiceEntry[] Entries, IReadOnlyList<SkippedInstance> Skipped) Parse(ReadOnlyMemory<byte> body)
    {
        var skipped = new List<SkippedInstance>();
        var entries = JsonArrayEntries.Read(
            body,
            ConsulJsonContext.Default.HealthServiceEntryArray,
            ConsulJsonContext.Default.HealthServiceEntry,
            "health entries",
            nullIsEmpty: false,
            (element, error) => skipped.Add(error is null
                ? new SkippedInstance("", "", "(entry)", JsonArrayEntries.Shorten(element.Span))
                : Describe(element, error)));
        return ([.. entries], skipped);
    }

    /// <summary>Names the entry (node and service ID, read loosely) and the field that failed, with its value.</summary>
    private static SkippedInstance Describe(ReadOnlyMemory<byte> element, JsonException error)
    {
        using var document = JsonDocument.Parse(element);
        var root = document.RootElement;
        var (field, value) = JsonArrayEntries.FailedAt(root, error);
        return new SkippedInstance(Text(root, "Node", "Node"), Text(root, "Service", "ID"), field.Length == 0 ? "(entry)" : field, value);
    }

    private static string Text(JsonElement root, string parent, string child) =>
        JsonArrayEntries.TryProperty(root, parent, out var p) ? JsonArrayEntries.Text(p, child) : "";
}
