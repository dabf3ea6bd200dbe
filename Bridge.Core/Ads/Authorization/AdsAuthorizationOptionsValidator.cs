using Bridge.Core.Configuration;

namespace Bridge.Core.Ads.Authorization;

/// <summary>
/// Checks the <c>Ads:Authorization</c> section once bound: the patterns, and the tokens it lists (those of its
/// token file are checked, line by line, when the file is read).
/// </summary>
public sealed class AdsAuthorizationOptionsValidator() : SectionValidator<AdsAuthorizationOptions>(AdsAuthorizationOptions.SectionName)
{
    /// <summary>Tokens guard every proxy's configuration: long enough not to be guessed, and plain enough for a header.</summary>
    public const string TokenRule = "a token must be at least 16 printable ASCII characters without spaces (the token itself is not shown)";

    public static bool IsAcceptableToken(string token) => token.Length >= 16 && HeaderSecret.IsPlain(token);

    protected override void Check(AdsAuthorizationOptions o, SettingFailures failures)
    {
        CheckPatterns(nameof(o.AllowedNodeIds), o.AllowedNodeIds, failures);
        CheckPatterns(nameof(o.AllowedClusters), o.AllowedClusters, failures);
        for (var i = 0; i < o.Tokens.Count; i++)
        {
            if (!IsAcceptableToken(o.Tokens[i]))
            {
                failures.AddKey($"{failures.KeyOf(nameof(o.Tokens))}:{i}", TokenRule);
            }
        }
    }

    private static void CheckPatterns(string property, IReadOnlyList<string> patterns, SettingFailures failures)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            var pattern = patterns[i];
            if (string.IsNullOrWhiteSpace(pattern) || pattern.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != pattern.Length - 1)
            {
                failures.AddKey($"{failures.KeyOf(property)}:{i}", $"'{pattern}' is not accepted; write an exact name or a prefix followed by *, e.g. web-*");
            }
        }
    }
}
