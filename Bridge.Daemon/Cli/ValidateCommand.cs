using Bridge.Daemon.Configuration;

namespace Bridge.Daemon.Cli;

/// <summary>
/// <c>validate &lt;config.json&gt;</c>: loads the file on top of the defaults (appsettings.json beside the binary)
/// and runs the daemon's own validation, so a file that passes here is one the daemon accepts at start.
/// Environment variables and the command line are left out: the question is whether the file is good.
/// </summary>
internal static class ValidateCommand
{
    public const string Usage = "usage: consul-xds-bridge validate <config.json>";

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        if (args.Count != 1 || args[0].StartsWith('-'))
        {
            error.WriteLine(Usage);
            return 2;
        }

        var path = Path.GetFullPath(args[0]);
        if (!File.Exists(path))
        {
            error.WriteLine($"{path}: no such file");
            return 1;
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
                .AddJsonFile(path, optional: false, reloadOnChange: false)
                .Build();
        }
        catch (InvalidDataException e)
        {
            // The innermost exception is the JSON reader's, with the line and position.
            error.WriteLine($"{path}: not valid JSON: {Innermost(e).Message}");
            return 1;
        }

        var (settings, errors) = SettingsLoader.Load(configuration);
        if (settings is null)
        {
            error.WriteLine($"{path}: the configuration is invalid ({errors.Count} {(errors.Count == 1 ? "error" : "errors")}):");
            foreach (var e in errors)
            {
                error.WriteLine($"  {e}");
            }

            return 1;
        }

        foreach (var section in UnreadSections(configuration))
        {
            error.WriteLine($"{path}: warning: section '{section}' is not read by consul-xds-bridge; its sections are {string.Join(", ", SettingsReference.TopLevelSections)}");
        }

        output.WriteLine($"{path}: configuration is valid");
        return 0;
    }

    internal static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    private static IEnumerable<string> UnreadSections(IConfiguration configuration) =>
        configuration.GetChildren().Select(c => c.Key).Where(k => !SettingsReference.TopLevelSections.Contains(k, StringComparer.OrdinalIgnoreCase));
}
