namespace Bridge.Core.Consul;

/// <summary>Applies the include/exclude settings to Consul's service list.</summary>
internal static class ServiceFilter
{
    public static ImmutableSortedSet<string> Apply(IReadOnlyDictionary<string, string[]?> services, ConsulOptions options)
    {
        var builder = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var (name, tags) in services)
        {
            if (IsWatched(name, tags ?? [], options))
            {
                builder.Add(name);
            }
        }

        return builder.ToImmutable();
    }

    public static bool IsWatched(string name, IReadOnlyCollection<string> tags, ConsulOptions options)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        if (options.IncludeServices.Count > 0 && !options.IncludeServices.Any(p => Matches(p, name)))
        {
            return false;
        }

        if (options.ExcludeServices.Any(p => Matches(p, name)))
        {
            return false;
        }

        if (options.IncludeTags.Count > 0 && !tags.Any(t => options.IncludeTags.Contains(t, StringComparer.Ordinal)))
        {
            return false;
        }

        return !tags.Any(t => options.ExcludeTags.Contains(t, StringComparer.Ordinal));
    }

    /// <summary>Whether the name filters alone allow a service (its tags unknown).</summary>
    public static bool IsNameWatched(string name, ConsulOptions options) =>
        !string.IsNullOrEmpty(name)
        && (options.IncludeServices.Count == 0 || options.IncludeServices.Any(p => Matches(p, name)))
        && !options.ExcludeServices.Any(p => Matches(p, name));

    private static bool Matches(string pattern, string name) =>
        pattern.EndsWith('*')
            ? name.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : string.Equals(pattern, name, StringComparison.Ordinal);
}
