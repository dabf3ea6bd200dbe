namespace Bridge.Core.Xds;

/// <summary>
/// The names each of the last <see cref="Length"/> snapshots changed, by type URL: a stream woken after several
/// snapshots catches up by comparing only those, and past the log compares everything it holds.
/// </summary>
internal sealed class ChangeLog
{
    /// <summary>How many past generations' changed names are kept.</summary>
    public const int Length = 64;

    private static readonly ImmutableHashSet<string> NoNames = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    private readonly Entry?[] _entries = new Entry?[Length];

    private sealed record Entry(long Generation, ImmutableDictionary<string, ImmutableHashSet<string>> Names);

    public void Record(XdsSnapshot snapshot) =>
        Volatile.Write(ref _entries[snapshot.Generation % Length], new Entry(snapshot.Generation, snapshot.ChangedNames));

    /// <summary>
    /// The names of <paramref name="typeUrl"/> that may differ between generation <paramref name="since"/> and
    /// <paramref name="snapshot"/>; null when that is no longer known (more than <see cref="Length"/> generations
    /// apart), and the caller must compare everything it holds.
    /// </summary>
    public IReadOnlySet<string>? ChangedSince(long since, XdsSnapshot snapshot, string typeUrl)
    {
        if (since < 0 || since > snapshot.Generation || snapshot.Generation - since > Length)
        {
            return null;
        }

        if (since == snapshot.Generation)
        {
            return NoNames;
        }

        if (since == snapshot.Generation - 1)
        {
            return snapshot.ChangedNames.GetValueOrDefault(typeUrl) ?? NoNames;
        }

        HashSet<string>? union = null;
        IReadOnlySet<string> result = NoNames;
        for (var generation = since + 1; generation <= snapshot.Generation; generation++)
        {
            var entry = Volatile.Read(ref _entries[generation % Length]);
            if (entry is null || entry.Generation != generation)
            {
                return null;
            }

            if (!entry.Names.TryGetValue(typeUrl, out var names) || names.Count == 0)
            {
                continue;
            }

            if (result.Count == 0)
            {
                result = names;
                continue;
            }

            union ??= new HashSet<string>(result, StringComparer.Ordinal);
            union.UnionWith(names);
            result = union;
        }

        return result;
    }
}
