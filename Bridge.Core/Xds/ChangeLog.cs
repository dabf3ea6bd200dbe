namespace Bridge.Core.Xds;

/// <summary>
/// The names changed by each of the last <see cref="Length"/> snapshots that changed any, by type URL: a stream woken
/// after several snapshots catches up by comparing only those, and past the log compares everything it holds.
/// Snapshots that change no names (a scope or a <c>service:port</c> listener added for a new stream) take no place in
/// it, so thousands of streams connecting at once do not push the others out of it.
/// </summary>
internal sealed class ChangeLog
{
    /// <summary>How many past snapshots' changed names are kept, counting only snapshots that changed some.</summary>
    public const int Length = 64;

    private static readonly ImmutableHashSet<string> NoNames = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Written by the one producer, read by every stream: swapped whole.</summary>
    private Window _window = new([], Forgotten: -1);

    private sealed record Entry(long Generation, ImmutableDictionary<string, ImmutableHashSet<string>> Names);

    /// <summary>The kept entries, oldest first, and the newest generation whose names are no longer kept.</summary>
    private sealed record Window(ImmutableArray<Entry> Entries, long Forgotten);

    /// <summary>Called by the producer, before it publishes <paramref name="snapshot"/>.</summary>
    public void Record(XdsSnapshot snapshot)
    {
        if (snapshot.ChangedNames.Values.All(names => names.IsEmpty))
        {
            return;
        }

        var window = _window;
        var entries = window.Entries;
        var forgotten = window.Forgotten;
        if (entries.Length == Length)
        {
            forgotten = entries[0].Generation;
            entries = entries.RemoveAt(0);
        }

        Volatile.Write(ref _window, new Window(entries.Add(new Entry(snapshot.Generation, snapshot.ChangedNames)), forgotten));
    }

    /// <summary>
    /// The names of <paramref name="typeUrl"/> that may differ between generation <paramref name="since"/> and
    /// <paramref name="snapshot"/>; null when that is no longer known (more than <see cref="Length"/> changing
    /// snapshots apart), and the caller must compare everything it holds.
    /// </summary>
    public IReadOnlySet<string>? ChangedSince(long since, XdsSnapshot snapshot, string typeUrl)
    {
        if (since < 0 || since > snapshot.Generation)
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

        // Recorded before it was published, so the window holds this snapshot's entry, or newer ones past it.
        var window = Volatile.Read(ref _window);
        if (since < window.Forgotten)
        {
            return null;
        }

        HashSet<string>? union = null;
        IReadOnlySet<string> result = NoNames;
        foreach (var entry in window.Entries)
        {
            if (entry.Generation <= since || entry.Generation > snapshot.Generation
                || !entry.Names.TryGetValue(typeUrl, out var names) || names.Count == 0)
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
