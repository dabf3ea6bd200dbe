namespace Bridge.DevAgent.Filtering;

/// <summary>
/// Go's <c>regexp</c> (RE2) for <c>matches</c>: .NET's non-backtracking engine accepts close to the same language (no
/// backreferences, no lookaround) in the same linear time. Go's <c>(?P&lt;name&gt;...)</c> groups are read as .NET's
/// <c>(?&lt;name&gt;...)</c>. Refusals carry Go's <c>error parsing regexp: ...</c> wording for the common mistakes.
/// </summary>
internal static class Re2
{
    private static readonly string[] Unsupported = ["(?=", "(?!", "(?<=", "(?<!", "(?>"];

    /// <summary>The compiled expression, or null when Go would refuse it (see <see cref="Problem"/>).</summary>
    public static Regex? Compile(string pattern, TimeSpan timeout)
    {
        try
        {
            return new Regex(Translate(pattern), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, timeout);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Go's error for a pattern <see cref="Compile"/> refused.</summary>
    public static string Problem(string pattern)
    {
        if (Unsupported.FirstOrDefault(p => pattern.Contains(p, StringComparison.Ordinal)) is { } perl)
        {
            return $"error parsing regexp: invalid or unsupported Perl syntax: `{perl}`";
        }

        if (Regex.Match(pattern, @"\\[1-9]") is { Success: true } backReference)
        {
            return $"error parsing regexp: invalid escape sequence: `{backReference.Value}`";
        }

        try
        {
            _ = new Regex(Translate(pattern), RegexOptions.CultureInvariant);
        }
        catch (RegexParseException ex)
        {
            return ex.Error switch
            {
                RegexParseError.InsufficientClosingParentheses => $"error parsing regexp: missing closing ): `{pattern}`",
                RegexParseError.InsufficientOpeningParentheses => $"error parsing regexp: unexpected ): `{pattern}`",
                RegexParseError.UnterminatedBracket => $"error parsing regexp: missing closing ]: `{pattern[pattern.LastIndexOf('[')..]}`",
                RegexParseError.QuantifierAfterNothing => $"error parsing regexp: missing argument to repetition operator: `{pattern[Math.Clamp(ex.Offset - 1, 0, pattern.Length - 1)]}`",
                RegexParseError.NestedQuantifiersNotParenthesized => "error parsing regexp: invalid nested repetition operator",
                _ => $"error parsing regexp: {ex.Message}",
            };
        }

        return $"error parsing regexp: invalid or unsupported syntax: `{pattern}`";
    }

    private static string Translate(string pattern) => pattern.Replace("(?P<", "(?<", StringComparison.Ordinal);
}
