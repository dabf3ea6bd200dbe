using System.Runtime.InteropServices;
using Google.Protobuf.Collections;

namespace Bridge.Core.Ads.Sotw;

/// <summary>
/// The names state-of-the-world requests list, shared by every stream that lists the same names in the same order:
/// an Envoy's EDS request names every cluster it has, so a fleet of Envoys lists the same thousand names, and each
/// stream would otherwise keep its own copy and its own set of them. What is shared is never modified.
/// </summary>
internal static class NameLists
{
    /// <summary>Names kept in all before the table starts again empty: clients inventing lists cannot grow it.</summary>
    private const int MaxNames = 1 << 20;

    private static readonly ConcurrentDictionary<UInt128, Listed> s_lists = new();
    private static int s_names;

    /// <summary>One list as requested, its set without <c>*</c>, and whether it held <c>*</c>.</summary>
    internal sealed class Listed
    {
        private Listed(string[] names)
        {
            Names = names;
            Set = new HashSet<string>(names.Length, StringComparer.Ordinal);
            foreach (var name in names)
            {
                if (name == "*")
                {
                    Star = true;
                }
                else
                {
                    Set.Add(name);
                }
            }
        }

        public string[] Names { get; }

        public HashSet<string> Set { get; }

        public bool Star { get; }

        public static Listed From(RepeatedField<string> listed) => new([.. listed]);

        public bool Matches(RepeatedField<string> listed)
        {
            if (listed.Count != Names.Length)
            {
                return false;
            }

            for (var i = 0; i < Names.Length; i++)
            {
                if (!string.Equals(Names[i], listed[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }

    public static Listed Get(RepeatedField<string> listed)
    {
        var key = Hash(listed);
        if (s_lists.TryGetValue(key, out var shared) && shared.Matches(listed))
        {
            return shared;
        }

        var made = Listed.From(listed);
        if (Interlocked.Add(ref s_names, listed.Count) > MaxNames)
        {
            s_lists.Clear();
            Interlocked.Exchange(ref s_names, listed.Count);
        }

        s_lists[key] = made;
        return made;
    }

    private static UInt128 Hash(RepeatedField<string> listed)
    {
        var hash = new XxHash128();
        Span<byte> length = stackalloc byte[sizeof(int)];
        foreach (var name in listed)
        {
            // Each name with its length, so that no two lists hash the same bytes.
            MemoryMarshal.Write(length, name.Length);
            hash.Append(length);
            hash.Append(MemoryMarshal.AsBytes(name.AsSpan()));
        }

        return hash.GetCurrentHashAsUInt128();
    }
}
