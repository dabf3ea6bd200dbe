using System.Text.RegularExpressions;

namespace Bridge.Core.Catalog.Chains;

/// <summary>
/// What in a compiled chain no client would take: Consul accepts it, but Envoy rejects the whole route configuration
/// holding it (the outbound route of every service), so one bad entry would cut every Envoy off every update. The
/// caller keeps serving the chain it had (or none) and reports the problem, as for a chain that does not compile.
/// Checked: regexes (RE2, which Envoy and gRPC use: no lookaround, backreferences, atomic groups or conditionals),
/// header names and values (no NUL, CR or LF; a header change may not touch a pseudo-header or <c>host</c>), and
/// query parameter names (1 KiB at most).
/// </summary>
internal static class ChainChecks
{
    /// <summary>The first problem of <paramref name="chain"/>, saying where; null when it has none.</summary>
    public static string? Problem(DiscoveryChain chain)
    {
        for (var i = 0; i < chain.Routes.Count; i++)
        {
            var rule = chain.Routes[i];
            var where = rule.IsCatchAll ? "catch-all route" : $"route {i + 1}";
            if (RuleProblem(rule) is { } problem)
            {
                return $"{where}: {problem}";
            }

            if (rule.Destination is SplitDestination split)
            {
                for (var j = 0; j < split.Splits.Count; j++)
                {
                    if ((ChangesProblem(split.Splits[j].RequestHeaders, "request") ?? ChangesProblem(split.Splits[j].ResponseHeaders, "response")) is { } splitProblem)
                    {
                        return $"{where}, split {j + 1} (to {split.Splits[j].Target}): {splitProblem}";
                    }
                }
            }
        }

        foreach (var target in chain.Targets)
        {
            foreach (var hash in target.LoadBalancer?.HashPolicies ?? [])
            {
                if (hash.Kind != HashPolicyKind.SourceIp && NameProblem(hash.Name) is { } problem)
                {
                    return $"target {target.Id}: hash policy on \"{Shown(hash.Name)}\": {problem}";
                }
            }
        }

        return null;
    }

    /// <summary>Why <paramref name="pattern"/> is not an RE2 regex, as far as can be told without RE2; null when it looks like one.</summary>
    public static string? RegexProblem(string pattern)
    {
        if (Unsupported(pattern) is { } construct)
        {
            return $"regex \"{pattern}\" uses {construct}, which RE2 (Envoy's and gRPC's regex engine) does not support";
        }

        try
        {
            // RE2 writes named groups (?P<name>...) too; .NET reads only (?<name>...).
            _ = new Regex(pattern.Replace("(?P<", "(?<", StringComparison.Ordinal), RegexOptions.None, TimeSpan.FromSeconds(1));
            return null;
        }
        catch (ArgumentException e)
        {
            return $"regex \"{pattern}\" is not valid: {e.Message}";
        }
    }

    private static string? RuleProblem(RouteRule rule)
    {
        var match = rule.Match;
        if (match.Path.Kind == PathMatchKind.Regex && RegexProblem(match.Path.Value) is { } pathProblem)
        {
            return $"path: {pathProblem}";
        }

        foreach (var header in match.Headers)
        {
            if ((NameProblem(header.Name) ?? (header.Kind == HeaderMatchKind.Regex ? RegexProblem(header.Value) : null)) is { } problem)
            {
                return $"header \"{Shown(header.Name)}\": {problem}";
            }
        }

        foreach (var query in match.QueryParams)
        {
            var problem = Encoding.UTF8.GetByteCount(query.Name) > 1024 ? "a name longer than 1024 bytes"
                : query.Kind == QueryParamMatchKind.Regex ? RegexProblem(query.Value)
                : null;
            if (problem is not null)
            {
                return $"query parameter \"{Shown(query.Name)}\": {problem}";
            }
        }

        if (rule.PrefixRewrite is { } rewrite && HasLineBreakOrNul(rewrite))
        {
            return $"prefix rewrite \"{Shown(rewrite)}\" holds a NUL, CR or LF";
        }

        return ChangesProblem(rule.RequestHeaders, "request") ?? ChangesProblem(rule.ResponseHeaders, "response");
    }

    private static string? ChangesProblem(HeaderChanges changes, string which)
    {
        foreach (var name in changes.Add.Concat(changes.Set).Select(h => h.Name).Concat(changes.Remove))
        {
            if ((NameProblem(name) ?? (name.StartsWith(':') || name.Equals("host", StringComparison.OrdinalIgnoreCase) ? "a pseudo-header or host, which cannot be changed" : null)) is { } problem)
            {
                return $"{which} header change \"{Shown(name)}\": {problem}";
            }
        }

        foreach (var header in changes.Add.Concat(changes.Set))
        {
            if (HasLineBreakOrNul(header.Value))
            {
                return $"{which} header \"{header.Name}\": its value holds a NUL, CR or LF";
            }
        }

        return null;
    }

    private static string? NameProblem(string name) =>
        name.Length == 0 ? "an empty name" : HasLineBreakOrNul(name) ? "a name holding a NUL, CR or LF" : null;

    private static bool HasLineBreakOrNul(string value) => value.AsSpan().IndexOfAny('\0', '\r', '\n') >= 0;

    private static string Shown(string value) => value.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);

    /// <summary>
    /// The first construct RE2 lacks that .NET would accept: lookaround, atomic groups, conditionals, named
    /// backreferences, \Z and \G, and a numbered backreference (a lone digit 1-9 after a backslash; more digits are an
    /// octal code to RE2). Escaped characters and character classes are stepped over.
    /// </summary>
    private static string? Unsupported(string pattern)
    {
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var next = i + 1 < pattern.Length ? pattern[i + 1] : '\0';
            if (c == '\\')
            {
                var after = i + 2 < pattern.Length ? pattern[i + 2] : '\0';
                if (!inClass && (next is 'Z' or 'G' || (next == 'k' && after == '<') || (next is >= '1' and <= '9' && after is not (>= '0' and <= '7'))))
                {
                    return $"\"\\{next}\"";
                }

                i++;
            }
            else if (inClass)
            {
                inClass = c != ']';
            }
            else if (c == '[')
            {
                inClass = true;

                // A ']' first in a class (after an optional '^') is a literal.
                if (next == '^')
                {
                    i++;
                }

                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    i++;
                }
            }
            else if (c == '(' && next == '?')
            {
                var rest = pattern.AsSpan(i + 2);
                foreach (var construct in (ReadOnlySpan<string>)["=", "!", "<=", "<!", ">", "("])
                {
                    if (rest.StartsWith(construct, StringComparison.Ordinal))
                    {
                        return $"\"(?{construct}\"";
                    }
                }
            }
        }

        return null;
    }
}
