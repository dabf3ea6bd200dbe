namespace Bridge.Core.Consul.ConfigEntries;

/// <summary>A config entry Consul listed that could not be read, and so is left out.</summary>
/// <param name="Kind">The kind of the list it came from.</param>
/// <param name="Name">Its <c>Name</c>, read loosely; empty when it has none.</param>
/// <param name="Field">Where reading failed (<c>Routes[0].Destination.RequestTimeout</c>); <c>(entry)</c> for the entry as a whole.</param>
/// <param name="Value">The offending JSON value, shortened.</param>
/// <param name="Reason">Why that value was refused.</param>
internal sealed record SkippedConfigEntry(string Kind, string Name, string Field, string Value, string Reason)
{
    public override string ToString() => $"{Kind} \"{Name}\": {Field} = {Value}: {Reason}";
}

/// <summary>What one <c>GET /v1/config/&lt;kind&gt;</c> answer held: the entries read and those left out.</summary>
internal sealed record ConfigEntryList(ConfigEntryKind Kind, ImmutableArray<ConfigEntry> Entries, ImmutableArray<SkippedConfigEntry> Skipped)
{
    /// <summary>The list as Consul answered it (a JSON array), kept for the state file; empty when there was none.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }
}

/// <summary>
/// Reads the answer to <c>GET /v1/config/&lt;kind&gt;</c>. One entry of the wrong shape is left out with its kind,
/// name and the reason, and never costs the others; a body that is not a JSON array is a bad answer as a whole
/// (<see cref="JsonException"/>). JSON null is an empty list: Go encodes an empty slice so.
/// </summary>
internal static class ConfigEntryDecoder
{
    public static ConfigEntryList Decode(ConfigEntryKind kind, ReadOnlyMemory<byte> body)
    {
        var context = ConfigEntryJsonContext.Default;
        return kind switch
        {
            ConfigEntryKind.ServiceDefaults => Decode(kind, body, context.ServiceDefaultsEntryArray, context.ServiceDefaultsEntry),
            ConfigEntryKind.ServiceRouter => Decode(kind, body, context.ServiceRouterEntryArray, context.ServiceRouterEntry),
            ConfigEntryKind.ServiceSplitter => Decode(kind, body, context.ServiceSplitterEntryArray, context.ServiceSplitterEntry),
            ConfigEntryKind.ServiceResolver => Decode(kind, body, context.ServiceResolverEntryArray, context.ServiceResolverEntry),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static ConfigEntryList Decode<T>(ConfigEntryKind kind, ReadOnlyMemory<byte> body, JsonTypeInfo<T[]> whole, JsonTypeInfo<T> one)
        where T : ConfigEntry
    {
        var apiName = kind.ApiName();
        var skipped = ImmutableArray.CreateBuilder<SkippedConfigEntry>();
        var read = JsonArrayEntries.Read(
            body,
            whole,
            one,
            $"{apiName} config entries",
            nullIsEmpty: true,
            (element, error) => skipped.Add(Describe(apiName, element, error)));

        var entries = ImmutableArray.CreateBuilder<ConfigEntry>(read.Count);
        foreach (var entry in read)
        {
            if (string.IsNullOrEmpty(entry.Name))
            {
                skipped.Add(new SkippedConfigEntry(apiName, "", "Name", "(missing)", "every config entry has a name"));
            }
            else if (!string.IsNullOrEmpty(entry.Kind) && !string.Equals(entry.Kind, apiName, StringComparison.OrdinalIgnoreCase))
            {
                skipped.Add(new SkippedConfigEntry(apiName, entry.Name, "Kind", $"\"{entry.Kind}\"", $"an entry of another kind in the {apiName} list"));
            }
            else
            {
                entries.Add(entry);
            }
        }

        return new ConfigEntryList(kind, entries.ToImmutable(), skipped.ToImmutable()) { Body = body.ToArray() };
    }

    private static SkippedConfigEntry Describe(string kind, ReadOnlyMemory<byte> element, JsonException? error)
    {
        if (error is null)
        {
            return new SkippedConfigEntry(kind, "", "(entry)", JsonArrayEntries.Shorten(element.Span), "not a JSON object");
        }

        using var document = JsonDocument.Parse(element);
        var root = document.RootElement;
        var (field, value) = JsonArrayEntries.FailedAt(root, error);
        return new SkippedConfigEntry(kind, JsonArrayEntries.Text(root, "Name"), field.Length == 0 ? "(entry)" : field, value, Reason(error));
    }

    /// <summary>
    /// Why the value was refused: what the reader found (System.Text.Json's own message names the enclosing type,
    /// not the field), else the message without the position appended to it (the field says where).
    /// </summary>
    private static string Reason(JsonException error)
    {
        if (error.InnerException is InvalidOperationException or FormatException or OverflowException)
        {
            return error.InnerException.Message;
        }

        var message = error.Message;
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return (at < 0 ? message : message[..at]).Trim();
    }
}
