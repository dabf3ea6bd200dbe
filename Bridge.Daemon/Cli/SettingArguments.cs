namespace Bridge.Daemon.Cli;

/// <summary>
/// Options of the daemon itself: <c>--dev</c> and settings (<c>--Section:Key=value</c> or <c>--Section:Key value</c>).
/// The configuration provider would silently ignore anything else, so a mistyped <c>--vesion</c> would start the
/// daemon; this names it instead.
/// </summary>
internal static class SettingArguments
{
    public const string Dev = "--dev";

    public static string? FirstUnknownOption(IEnumerable<string> args) =>
        args.FirstOrDefault(arg => arg.StartsWith('-') && arg != Dev && !IsSetting(arg));

    private static bool IsSetting(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }

        var key = arg[2..].Split('=', 2)[0];
        var separator = key.IndexOf(':', StringComparison.Ordinal) is >= 0 and var colon ? colon : key.IndexOf("__", StringComparison.Ordinal);
        return separator > 0
            && SettingsReference.TopLevelSections.Contains(key[..separator], StringComparer.OrdinalIgnoreCase);
    }
}
